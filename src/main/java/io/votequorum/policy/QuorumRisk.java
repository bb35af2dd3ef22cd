package io.votequorum.policy;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a set of voters can lose and stay quorate: the votes to spare, the nodes whose loss alone
 * breaks quorum, and how many nodes may go whichever they are. Pure.
 *
 * <p>It takes votequorum's arithmetic as it stands: quorum is fixed while nodes leave (without
 * last_man_standing), and a partition is quorate while its votes reach quorum. auto_tie_breaker can
 * keep an exact half quorate; the analysis does not count on it, so it may name a node the
 * tie-breaker would save, never the other way round.
 *
 * @param votes          each voter's votes (Kubernetes node names, or corosync names where unmapped)
 * @param otherVotes     votes beyond the nodes', such as a quorum device's cast vote
 * @param quorum         votes needed for quorum
 */
public record QuorumRisk(Map<String, Integer> votes, int otherVotes, int quorum) {

    public QuorumRisk {
        votes = Map.copyOf(votes);
    }

    /** What the layout gives with every node present: expected votes set quorum, the quorum device left out. */
    public static QuorumRisk of(VoteLayout layout) {
        return new QuorumRisk(layout.votes(), 0, VoteLayout.quorum(layout.expectedVotes()));
    }

    public int totalVotes() {
        return votes.values().stream().mapToInt(Integer::intValue).sum() + otherVotes;
    }

    /** Votes that can go and leave quorum; negative when the voters are short of quorum already. */
    public int votesToSpare() {
        return totalVotes() - quorum;
    }

    /** The nodes whose loss alone breaks quorum, by name. */
    public List<String> critical() {
        return votes.entrySet().stream()
                .filter(e -> e.getValue() > votesToSpare())
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    /** How many nodes may go, whichever they are: the strongest ones first. */
    public int nodesTolerated() {
        List<Integer> strongest =
                votes.values().stream().sorted(Comparator.reverseOrder()).toList();
        int lost = 0;
        int count = 0;
        for (int v : strongest) {
            lost += v;
            if (lost > votesToSpare()) {
                break;
            }
            count++;
        }
        return count;
    }

    /** Whether losing the quorum device's vote alone breaks quorum. */
    public boolean deviceCritical() {
        return otherVotes > 0 && otherVotes > votesToSpare();
    }

    /** Whether any single loss, of a node or of the device, breaks quorum. */
    public boolean atRisk() {
        return !critical().isEmpty() || deviceCritical();
    }

    /** One sentence for a condition's message. */
    public String describe() {
        String sum = totalVotes() + " votes" + (otherVotes > 0 ? " (" + otherVotes + " from the quorum device)" : "")
                + " on " + votes.size() + " nodes, quorum " + quorum;
        if (votesToSpare() < 0) {
            return sum + ": short of quorum by " + -votesToSpare();
        }
        String device = deviceCritical() ? "; losing the quorum device's vote alone breaks quorum" : "";
        List<String> critical = critical();
        if (critical.isEmpty()) {
            return sum + ", " + votesToSpare() + " to spare: any " + nodesTolerated()
                    + (nodesTolerated() == 1 ? " node" : " nodes") + " can go" + device;
        }
        return sum + ", " + votesToSpare() + " to spare: losing " + (critical.size() == 1 ? "" : "any one of ")
                + critical.stream().map(n -> n + " (" + votes.get(n) + ")").collect(Collectors.joining(", "))
                + " alone breaks quorum" + device;
    }
}
