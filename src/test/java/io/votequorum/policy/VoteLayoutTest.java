package io.votequorum.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.votequorum.model.NodeVotes;
import io.votequorum.model.Selectors;
import io.votequorum.policy.VoteLayout.ClusterNode;
import io.votequorum.policy.VoteLayout.Problem;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Safety rule 6 and the policy checks CEL cannot make. */
class VoteLayoutTest {

    static List<ClusterNode> nodes(int count) {
        return IntStream.rangeClosed(1, count)
                .mapToObj(i -> new ClusterNode("n" + i, Map.of("zone", i <= 2 ? "a" : "b"), 1))
                .toList();
    }

    static List<String> reasons(List<Problem> problems) {
        return problems.stream().map(Problem::reason).toList();
    }

    @Test
    void oneVoteEachIsSafe() {
        VoteLayout layout =
                VoteLayout.resolve(List.of(), Optional.empty(), nodes(3)).layout();
        assertThat(layout.totalVotes()).isEqualTo(3);
        assertThat(layout.expectedVotes()).isEqualTo(3);
        assertThat(layout.check(false)).isEmpty();
    }

    @Test
    void lowExpectedVotesCouldLetTwoHalvesBeQuorate() {
        VoteLayout layout =
                VoteLayout.resolve(List.of(), Optional.of(2), nodes(4)).layout();
        List<Problem> problems = layout.check(false);
        assertThat(reasons(problems)).contains(VoteLayout.SPLIT_BRAIN);
        assertThat(problems.get(0).message()).contains("expectedVotes 2 gives quorum 2", "at least 4", "allowUnsafe");
        assertThat(layout.check(true)).as("deliberate maintenance").isEmpty();
    }

    @Test
    void aMinorityWithAMajorityOfVotesIsNamed() {
        VoteLayout layout = VoteLayout.resolve(List.of(new NodeVotes("n1", null, 3)), Optional.empty(), nodes(3))
                .layout();
        List<Problem> problems = layout.check(false);
        assertThat(reasons(problems)).containsExactly(VoteLayout.MINORITY_QUORATE);
        assertThat(problems.get(0).message()).startsWith("n1 (3) hold 3 of 5 votes, quorum 3: 1 of 3 nodes");
    }

    @Test
    void selectorsAndNamesResolveAndUnknownNodesAreReported() {
        VoteLayout.Resolution resolution = VoteLayout.resolve(
                List.of(
                        new NodeVotes(
                                null,
                                new LabelSelectorBuilder()
                                        .addToMatchLabels("zone", "b")
                                        .build(),
                                2),
                        new NodeVotes("n9", null, 1),
                        new NodeVotes(
                                null,
                                new LabelSelectorBuilder()
                                        .addToMatchLabels("zone", "nowhere")
                                        .build(),
                                1)),
                Optional.empty(),
                nodes(4));
        assertThat(resolution.layout().votes())
                .containsExactlyInAnyOrderEntriesOf(Map.of("n1", 1, "n2", 1, "n3", 2, "n4", 2));
        assertThat(reasons(resolution.problems())).containsExactly(VoteLayout.UNKNOWN_NODE, VoteLayout.UNKNOWN_NODE);
        assertThat(resolution.problems().get(0).message())
                .isEqualTo("votes[1] names node n9, which is not a node of this corosync cluster; known nodes: "
                        + "n1, n2, n3, n4");
        assertThat(resolution.problems().get(1).message()).startsWith("votes[2] selects no node");
    }

    @Test
    void twoEntriesGivingOneNodeDifferentVotesConflict() {
        VoteLayout.Resolution resolution = VoteLayout.resolve(
                List.of(
                        new NodeVotes("n1", null, 2),
                        new NodeVotes(
                                null,
                                new LabelSelectorBuilder()
                                        .addToMatchLabels("zone", "a")
                                        .build(),
                                1)),
                Optional.empty(),
                nodes(3));
        assertThat(reasons(resolution.problems())).containsExactly(VoteLayout.CONFLICTING_VOTES);
        assertThat(resolution.problems().get(0).message()).contains("votes[0] and votes[1] give node n1");
    }

    @Test
    void moreVotesThanCorosyncsQuorumHoldsAreRefusedEvenWhenUnsafeIsAllowed() {
        VoteLayout layout = VoteLayout.resolve(
                        List.of(new NodeVotes("n1", null, 500), new NodeVotes("n2", null, 500)),
                        Optional.empty(),
                        nodes(3))
                .layout();
        assertThat(reasons(layout.check(true))).containsExactly(VoteLayout.TOO_MANY_VOTES);
    }

    @Test
    void selectorExpressions() {
        var in = new LabelSelectorBuilder()
                .addNewMatchExpression()
                .withKey("zone")
                .withOperator("In")
                .withValues("a", "c")
                .endMatchExpression()
                .build();
        var absent = new LabelSelectorBuilder()
                .addNewMatchExpression()
                .withKey("gpu")
                .withOperator("DoesNotExist")
                .endMatchExpression()
                .build();
        assertThat(Selectors.matches(in, Map.of("zone", "a"))).isTrue();
        assertThat(Selectors.matches(in, Map.of("zone", "b"))).isFalse();
        assertThat(Selectors.matches(absent, Map.of("zone", "b"))).isTrue();
        assertThat(Selectors.matches(absent, Map.of("gpu", "yes"))).isFalse();
    }
}
