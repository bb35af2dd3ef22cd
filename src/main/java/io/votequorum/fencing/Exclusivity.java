package io.votequorum.fencing;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Whether a quorate partition rules out every other quorate partition (safety rule 1). Quorum alone
 * does not: with two_node, with expected votes lowered below the configured total, or after
 * last_man_standing lowered them, two disjoint partitions can both be quorate, and the other one may
 * be unseen because its agents cannot reach the API server. A partition rules the others out when
 * <ul>
 * <li>its votes are a strict majority of all configured votes T (every node any report lists, each
 *     with the most votes any report gives it, plus the quorum device's; never less than any
 *     report's expected votes), or</li>
 * <li>the quorum device casts its vote for it (the device votes for one partition only), or</li>
 * <li>auto_tie_breaker decided a tie in its favour (it is quorate with exactly half the expected votes);</li>
 * </ul>
 * and no report (of a node inside or outside it) shows a quorum that the votes outside could reach:
 * with expected votes lowered, by corosync-quorumtool -e or last_man_standing, or with two_node, a
 * minority could be quorate as well.
 */
public final class Exclusivity {

    private Exclusivity() {}

    /** Empty when the partition rules out every other quorate partition; otherwise why not, and what would. */
    public static Optional<String> whyNot(QuoratePartition partition, List<Report> view, List<Report> all) {
        Map<Long, Integer> nodelist = new TreeMap<>();
        all.forEach(r -> r.votes().nodelist().forEach((id, votes) -> nodelist.merge(id, votes, Math::max)));
        all.forEach(r -> nodelist.putIfAbsent(r.nodeId(), 1));
        int qdevice = all.stream().mapToInt(r -> r.votes().qdeviceVotes()).max().orElse(0);
        int nodeVotes = nodelist.values().stream().mapToInt(Integer::intValue).sum();
        int expected =
                all.stream().mapToInt(r -> r.votes().expectedVotes()).max().orElse(0);
        int configured = Math.max(nodeVotes + qdevice, expected);
        int votes = partition.totalVotes();
        boolean deviceVote = view.stream().anyMatch(r -> r.votes().qdeviceCastVote());
        // auto_tie_breaker gives quorum to the partition that holds the tie-breaker node with exactly half the
        // expected votes (corosync: total_votes == expected_votes / 2); a partition quorate that way holds it.
        boolean tieBroken = view.stream()
                .anyMatch(r -> r.votes().autoTieBreaker()
                        && r.votes().expectedVotes() > 0
                        && votes == r.votes().expectedVotes() / 2);

        int outsideVotes = nodelist.entrySet().stream()
                        .filter(e -> !partition.members().contains(e.getKey()))
                        .mapToInt(Map.Entry::getValue)
                        .sum()
                + (deviceVote ? 0 : qdevice);
        boolean twoNode = all.stream().anyMatch(r -> r.votes().twoNode());
        // A disjoint partition needs the quorum a report shows (or, with auto_tie_breaker and the tie-breaker
        // possibly outside, half the expected votes): with lowered expected votes or two_node, a minority may do.
        Optional<Report> reachable = all.stream()
                .filter(r -> {
                    int bar = r.quorum();
                    if (r.votes().autoTieBreaker() && !tieBroken && r.votes().expectedVotes() > 0) {
                        bar = Math.min(bar, r.votes().expectedVotes() / 2);
                    }
                    return r.quorum() > 0 && bar <= outsideVotes;
                })
                .findFirst();
        if (reachable.isPresent() && outsideVotes > 0) {
            Report r = reachable.get();
            return Optional.of("ring " + partition.ring() + " holds quorum, but " + r.nodeName() + " last reported a "
                    + "quorum of " + r.quorum() + (r.votes().twoNode() ? " (two_node)" : "") + ", which the "
                    + outsideVotes + " vote(s) outside the ring could reach: another partition may be quorate too, "
                    + "unseen if its agents cannot reach the API server; nothing is fenced. "
                    + remedy(configured, expected, nodeVotes + qdevice, twoNode));
        }
        if (votes * 2 > configured || deviceVote || tieBroken) {
            return Optional.empty();
        }
        return Optional.of("ring " + partition.ring() + " holds quorum with " + votes + " of " + configured
                + " configured votes, not a strict majority" + (twoNode ? " (two_node)" : "")
                + ", and no quorum device vote or auto_tie_breaker decided it: the other "
                + (configured - votes) + " vote(s) may form a quorate partition too, unseen if its agents cannot "
                + "reach the API server; nothing is fenced. "
                + remedy(configured, expected, nodeVotes + qdevice, twoNode));
    }

    private static String remedy(int configured, int expected, int nodelistVotes, boolean twoNode) {
        return "Fencing needs a quorum device (corosync-qdevice) or a strict majority of the " + configured
                + " configured votes"
                + (expected > 0 && expected < nodelistVotes
                        ? ", with expected votes restored to " + nodelistVotes + " (corosync-quorumtool -e "
                                + nodelistVotes + ", or the policy's expectedVotes)"
                        : "")
                + (twoNode ? "; a two_node cluster fences only with a quorum device" : "");
    }
}
