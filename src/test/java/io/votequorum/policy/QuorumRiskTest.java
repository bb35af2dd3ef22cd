package io.votequorum.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The votes to spare and the nodes whose loss alone breaks quorum, by votequorum's arithmetic. */
class QuorumRiskTest {

    private static Map<String, Integer> votes(int... each) {
        return IntStream.range(0, each.length).boxed().collect(Collectors.toMap(i -> "node" + (i + 1), i -> each[i]));
    }

    /** Every subset of the voters that loses exactly one node, checked against quorum directly. */
    private static List<String> brokenBySingleLoss(Map<String, Integer> votes, int other, int quorum) {
        int total = votes.values().stream().mapToInt(Integer::intValue).sum() + other;
        return votes.entrySet().stream()
                .filter(e -> total - e.getValue() < quorum)
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    @Test
    void threeNodesOfOneVoteLoseAnyOneAndTheTwoLeftAreBothCritical() {
        QuorumRisk whole = new QuorumRisk(votes(1, 1, 1), 0, 2);
        assertThat(whole.votesToSpare()).isEqualTo(1);
        assertThat(whole.critical()).isEmpty();
        assertThat(whole.nodesTolerated()).isEqualTo(1);
        assertThat(whole.atRisk()).isFalse();
        assertThat(whole.describe()).isEqualTo("3 votes on 3 nodes, quorum 2, 1 to spare: any 1 node can go");

        QuorumRisk cut = new QuorumRisk(Map.of("node1", 1, "node2", 1), 0, 2);
        assertThat(cut.votesToSpare()).isZero();
        assertThat(cut.critical()).containsExactly("node1", "node2");
        assertThat(cut.describe())
                .isEqualTo("2 votes on 2 nodes, quorum 2, 0 to spare: losing any one of node1 (1), node2 (1) alone"
                        + " breaks quorum");
    }

    @Test
    void twoOneOneOneWithAOneVoteNodeCutNamesOnlyTheTwoVoteNode() {
        QuorumRisk cut = new QuorumRisk(Map.of("node1", 2, "node2", 1, "node3", 1), 0, 3);
        assertThat(cut.votesToSpare()).isEqualTo(1);
        assertThat(cut.critical()).containsExactly("node1");
        assertThat(cut.describe())
                .isEqualTo("4 votes on 3 nodes, quorum 3, 1 to spare: losing node1 (2) alone breaks quorum");

        QuorumRisk heavyCut = new QuorumRisk(Map.of("node2", 1, "node3", 1, "node4", 1), 0, 3);
        assertThat(heavyCut.critical()).containsExactly("node2", "node3", "node4");
    }

    @Test
    void aLayoutIsJudgedWithEveryNodePresentAndItsExpectedVotes() {
        VoteLayout layout = new VoteLayout(votes(2, 1, 1, 1), 5);
        QuorumRisk risk = QuorumRisk.of(layout);
        assertThat(risk.quorum()).isEqualTo(3);
        assertThat(risk.critical()).isEmpty();
        assertThat(risk.nodesTolerated()).isEqualTo(1);
        assertThat(risk.describe()).isEqualTo("5 votes on 4 nodes, quorum 3, 2 to spare: any 1 node can go");

        VoteLayout raised = new VoteLayout(votes(1, 1, 1, 1, 1), 5);
        assertThat(QuorumRisk.of(raised).nodesTolerated()).isEqualTo(2);
        assertThat(QuorumRisk.of(raised).describe()).endsWith("any 2 nodes can go");

        VoteLayout short_ = new VoteLayout(votes(1, 1), 6);
        assertThat(QuorumRisk.of(short_).describe()).isEqualTo("2 votes on 2 nodes, quorum 4: short of quorum by 2");
    }

    @Test
    void aQuorumDeviceVoteCountsAndCanItselfBeCritical() {
        // Two nodes and a one-vote device, expected 3: quorum 2.
        QuorumRisk withDevice = new QuorumRisk(Map.of("node1", 1, "node2", 1), 1, 2);
        assertThat(withDevice.critical()).isEmpty();
        assertThat(withDevice.deviceCritical()).isFalse();
        assertThat(withDevice.describe())
                .isEqualTo("3 votes (1 from the quorum device) on 2 nodes, quorum 2, 1 to spare: any 1 node can go");

        // One node left with the device: both it and the device are critical.
        QuorumRisk alone = new QuorumRisk(Map.of("node1", 1), 1, 2);
        assertThat(alone.critical()).containsExactly("node1");
        assertThat(alone.deviceCritical()).isTrue();
        assertThat(alone.describe())
                .endsWith("losing node1 (1) alone breaks quorum; losing the quorum device's vote"
                        + " alone breaks quorum");
    }

    @Test
    void theCriticalNodesAreExactlyThoseWhoseSingleLossLeavesTooFewVotes() {
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            int[] each = random.ints(1 + random.nextInt(7), 1, 4).toArray();
            Map<String, Integer> votes = votes(each);
            int other = random.nextInt(3);
            int total = votes.values().stream().mapToInt(Integer::intValue).sum() + other;
            int quorum = 1 + random.nextInt(total);
            QuorumRisk risk = new QuorumRisk(votes, other, quorum);
            assertThat(risk.critical())
                    .as("votes %s, device %d, quorum %d", votes, other, quorum)
                    .isEqualTo(brokenBySingleLoss(votes, other, quorum));
            // Any nodesTolerated nodes can go, and some set of one more cannot.
            List<Integer> strongest =
                    votes.values().stream().sorted(Comparator.reverseOrder()).toList();
            int tolerated = risk.nodesTolerated();
            assertThat(strongest.subList(0, tolerated).stream()
                            .mapToInt(Integer::intValue)
                            .sum())
                    .isLessThanOrEqualTo(risk.votesToSpare());
            Optional.of(tolerated)
                    .filter(t -> t < strongest.size())
                    .ifPresent(t -> assertThat(strongest.subList(0, t + 1).stream()
                                    .mapToInt(Integer::intValue)
                                    .sum())
                            .isGreaterThan(risk.votesToSpare()));
        }
    }
}
