package io.votequorum.policy;

import io.votequorum.model.NodeVotes;
import io.votequorum.model.Selectors;
import io.votequorum.model.VoteQuorumApi;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The votes a policy asks for, resolved against the cluster's nodes, and the checks CEL cannot make
 * (safety rule 6). Pure: no Kubernetes calls.
 *
 * @param votes         votes per Kubernetes node: the policy's where it names the node, corosync's otherwise
 * @param expectedVotes the policy's expected votes, or the sum of the votes
 */
public record VoteLayout(Map<String, Integer> votes, int expectedVotes) {

    /** A node of the corosync cluster: its Kubernetes name, its labels, and the votes corosync gives it now. */
    public record ClusterNode(String name, Map<String, String> labels, int currentVotes) {}

    /** What is wrong with a policy, written for the person who wrote it. */
    public record Problem(String reason, String message) {}

    public static final String UNKNOWN_NODE = "UnknownNode";
    public static final String CONFLICTING_VOTES = "ConflictingVotes";
    public static final String SPLIT_BRAIN = "SplitBrainPossible";
    public static final String MINORITY_QUORATE = "MinorityCanBeQuorate";
    public static final String TOO_MANY_VOTES = "TooManyVotes";

    /** quorum(E) = floor(E / 2) + 1, as votequorum computes it. */
    public static int quorum(int expectedVotes) {
        return expectedVotes / 2 + 1;
    }

    public int totalVotes() {
        return votes.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The policy's votes entries applied to the nodes; problems for entries that name no node or disagree. */
    public static Resolution resolve(
            List<NodeVotes> entries, Optional<Integer> expectedVotes, List<ClusterNode> nodes) {
        Map<String, Integer> votes = new TreeMap<>();
        nodes.forEach(n -> votes.put(n.name(), n.currentVotes()));
        Map<String, String> setBy = new LinkedHashMap<>();
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            NodeVotes entry = entries.get(i);
            String where = "votes[" + i + "]";
            List<ClusterNode> matched = entry.getNodeName() != null
                    ? nodes.stream()
                            .filter(n -> n.name().equals(entry.getNodeName()))
                            .toList()
                    : nodes.stream()
                            .filter(n -> Selectors.matches(entry.getNodeSelector(), n.labels()))
                            .toList();
            if (matched.isEmpty()) {
                problems.add(new Problem(
                        UNKNOWN_NODE,
                        where
                                + (entry.getNodeName() != null
                                        ? " names node " + entry.getNodeName()
                                                + ", which is not a node of this corosync cluster"
                                        : " selects no node of this corosync cluster")
                                + "; known nodes: "
                                + nodes.stream().map(ClusterNode::name).collect(Collectors.joining(", "))));
                continue;
            }
            for (ClusterNode node : matched) {
                String earlier = setBy.putIfAbsent(node.name(), where);
                if (earlier != null && !Objects.equals(votes.get(node.name()), entry.getVotes())) {
                    problems.add(new Problem(
                            CONFLICTING_VOTES,
                            earlier + " and " + where + " give node " + node.name()
                                    + " different votes; make the entries name each node once"));
                }
                votes.put(node.name(), entry.getVotes());
            }
        }
        VoteLayout layout = new VoteLayout(
                votes,
                expectedVotes.orElse(
                        votes.values().stream().mapToInt(Integer::intValue).sum()));
        return new Resolution(layout, Set.copyOf(setBy.keySet()), problems);
    }

    /** The layout, the nodes the policy's entries name, and what is wrong with the entries themselves. */
    public record Resolution(VoteLayout layout, Set<String> named, List<Problem> problems) {}

    /**
     * Layouts corosync would accept but that could let a minority, or two halves, be quorate; and
     * layouts past corosync's 8-bit quorum. Unsafe ones pass only with allowUnsafe.
     */
    public List<Problem> check(boolean allowUnsafe) {
        List<Problem> problems = new ArrayList<>();
        int total = totalVotes();
        if (Math.max(total, expectedVotes) > VoteQuorumApi.MAX_TOTAL_VOTES) {
            problems.add(new Problem(
                    TOO_MANY_VOTES,
                    "the layout has " + Math.max(total, expectedVotes)
                            + " votes; corosync computes quorum correctly only up to "
                            + VoteQuorumApi.MAX_TOTAL_VOTES));
        }
        if (allowUnsafe) {
            return problems;
        }
        int quorum = quorum(expectedVotes);
        if (2 * quorum <= total) {
            problems.add(new Problem(
                    SPLIT_BRAIN,
                    "expectedVotes " + expectedVotes + " gives quorum " + quorum
                            + ", at most half of the " + total + " votes: two disjoint halves could both be quorate. "
                            + "Raise expectedVotes to at least " + total
                            + ", or set allowUnsafe for deliberate maintenance"));
        }
        List<Map.Entry<String, Integer>> strongest = votes.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .toList();
        int sum = 0;
        for (int k = 1; 2 * k < votes.size(); k++) {
            sum += strongest.get(k - 1).getValue();
            if (sum >= quorum) {
                List<String> few = strongest.subList(0, k).stream()
                        .map(e -> e.getKey() + " (" + e.getValue() + ")")
                        .toList();
                problems.add(new Problem(
                        MINORITY_QUORATE,
                        String.join(", ", few) + " hold " + sum + " of "
                                + total + " votes, quorum " + quorum + ": " + k + " of " + votes.size()
                                + " nodes could be quorate alone. Spread the votes, or set allowUnsafe"));
                break;
            }
        }
        return problems;
    }
}
