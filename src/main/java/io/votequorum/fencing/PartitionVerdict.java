package io.votequorum.fencing;

import io.votequorum.model.RingId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Which partition holds quorum, decided from the nodes' reports alone (safety rule 1), or why none
 * can be trusted. Only a fresh, settled, quorate view counts:
 * <ul>
 * <li>a view is the set of fresh quorate reports that carry one ring id;</li>
 * <li>it is settled when every member of that ring that has a fresh report reports the same ring;</li>
 * <li>a view its own members contradict is superseded and does not count, without waiting for the
 *     stale reporter's Lease to expire;</li>
 * <li>two settled views are ambiguous, and ambiguity means no action;</li>
 * <li>reports of one ring that cannot all be true (different members, or a reporter outside its own
 *     ring) make every view untrustworthy: no action;</li>
 * <li>a settled view that cannot rule out another quorate partition ({@link Exclusivity}) is not
 *     exclusive: it is quorate, but nothing is fenced from it.</li>
 * </ul>
 */
public sealed interface PartitionVerdict {

    record Quorate(QuoratePartition partition) implements PartitionVerdict {}

    record NoQuorateView(String reason) implements PartitionVerdict {}

    /** Quorate, but another quorate partition cannot be ruled out: nothing may be fenced from it. */
    record NotExclusive(QuoratePartition partition, String reason) implements PartitionVerdict {}

    /**
     * For each node outside the partition, the latest time a member's agent saw it leave; a node some
     * member lists without a time is left out, so the caller falls back to what it saw itself.
     */
    private static Map<Long, Instant> absentSince(List<Report> view, Set<Long> members) {
        Map<Long, Instant> absent = new TreeMap<>();
        Set<Long> unknown = new TreeSet<>();
        for (Report r : view) {
            r.outsideSince().forEach((node, at) -> absent.merge(node, at, (a, b) -> a.isAfter(b) ? a : b));
            unknown.addAll(r.unstamped());
        }
        absent.keySet().removeAll(members);
        absent.keySet().removeAll(unknown);
        return absent;
    }

    /**
     * The outside nodes whose absence not every member dates: a member without a report in the view (no
     * fresh report), or one that lists the node without saying when it left.
     */
    private static Set<Long> undated(List<Report> view, Set<Long> members, Set<Long> nodelist) {
        Set<Long> outside = new TreeSet<>(nodelist);
        outside.removeAll(members);
        Set<Long> reporters = view.stream().map(Report::nodeId).collect(Collectors.toSet());
        if (!reporters.containsAll(members)) {
            return outside;
        }
        Set<Long> undated = new TreeSet<>();
        for (Report r : view) {
            outside.stream().filter(node -> !r.outsideSince().containsKey(node)).forEach(undated::add);
        }
        return undated;
    }

    static PartitionVerdict of(List<Report> reports) {
        Map<Long, Report> freshById = new TreeMap<>();
        reports.stream().filter(Report::fresh).forEach(r -> freshById.put(r.nodeId(), r));

        List<String> leftover = reports.stream()
                .filter(Report::freshQuorate)
                .flatMap(r -> r.leftoverDeviceVote().stream())
                .toList();
        Map<RingId, List<Report>> views = reports.stream()
                .filter(Report::freshQuorate)
                .filter(r -> r.leftoverDeviceVote().isEmpty())
                .collect(Collectors.groupingBy(
                        r -> r.ring().orElseThrow(),
                        () -> new TreeMap<>(
                                Comparator.comparingLong(RingId::seq).thenComparingLong(RingId::nodeId)),
                        Collectors.toList()));
        if (views.isEmpty() && !leftover.isEmpty()) {
            return new NoQuorateView("no settled quorate view: " + String.join("; ", leftover));
        }
        if (views.isEmpty()) {
            return new NoQuorateView(
                    reports.stream().noneMatch(Report::fresh)
                            ? "no node has a fresh heartbeat Lease (or none was renewed in the last half of its "
                                    + "duration: after the API server was away, reports wait for the agents to catch up)"
                            : "no node with a fresh heartbeat reports quorum");
        }

        List<QuoratePartition> settled = new ArrayList<>();
        Map<RingId, List<Report>> settledViews = new HashMap<>();
        List<String> superseded = new ArrayList<>(leftover);
        List<String> conflicting = new ArrayList<>();
        for (Map.Entry<RingId, List<Report>> view : views.entrySet()) {
            RingId ring = view.getKey();
            Set<Long> members = view.getValue().stream()
                    .flatMap(r -> r.members().stream())
                    .collect(Collectors.toCollection(TreeSet::new));
            Set<Set<Long>> memberLists =
                    view.getValue().stream().map(Report::members).collect(Collectors.toSet());
            Optional<Report> outsider = view.getValue().stream()
                    .filter(r -> !r.members().contains(r.nodeId()))
                    .findFirst();
            if (memberLists.size() != 1) {
                conflicting.add("ring " + ring + " is reported with different members " + memberLists);
                continue;
            }
            if (outsider.isPresent()) {
                conflicting.add(outsider.get().nodeName() + " reports ring " + ring + " without being a member of it");
                continue;
            }
            List<String> contradicting = new ArrayList<>(members.stream()
                    .map(freshById::get)
                    .filter(r -> r != null)
                    .filter(r -> !r.ring().equals(Optional.of(ring)))
                    .map(r -> r.nodeName() + " reports "
                            + r.ring().map(Object::toString).orElse("no ring"))
                    .toList());
            // Ring ids only grow: a member of this ring listed in a newer one has left it, whoever says so.
            freshById.values().stream()
                    .filter(r ->
                            r.ring().filter(other -> other.seq() > ring.seq()).isPresent())
                    .filter(r -> r.members().stream().anyMatch(members::contains))
                    .map(r -> r.nodeName() + " reports the newer ring "
                            + r.ring().get() + " with members " + new TreeSet<>(r.members()))
                    .forEach(contradicting::add);
            if (!contradicting.isEmpty()) {
                superseded.add("ring " + ring + " is not settled: " + String.join(", ", contradicting));
                continue;
            }
            Report any = view.getValue().stream()
                    .min(Comparator.comparingLong(Report::nodeId))
                    .orElseThrow();
            Map<Long, Integer> memberVotes = new TreeMap<>();
            members.forEach(m -> memberVotes.put(m, any.votes().nodelist().getOrDefault(m, 1)));
            Map<Long, Instant> absent = absentSince(view.getValue(), members);
            settled.add(new QuoratePartition(
                    ring,
                    members,
                    any.totalVotes(),
                    any.quorum(),
                    memberVotes,
                    absent,
                    undated(view.getValue(), members, any.votes().nodelist().keySet())));
            settledViews.put(ring, view.getValue());
        }
        if (!conflicting.isEmpty()) {
            // Reports that cannot all be true: trust none of them.
            return new NoQuorateView("conflicting reports: " + String.join("; ", conflicting));
        }
        if (settled.size() > 1) {
            return new NoQuorateView("ambiguous: "
                    + settled.stream()
                            .map(p -> "ring " + p.ring() + " with members " + new TreeSet<>(p.members()))
                            .collect(Collectors.joining(" and "))
                    + " both report quorum");
        }
        if (settled.isEmpty()) {
            return new NoQuorateView("no settled quorate view: " + String.join("; ", superseded));
        }
        QuoratePartition partition = settled.get(0);
        return Exclusivity.whyNot(partition, settledViews.get(partition.ring()), reports)
                .<PartitionVerdict>map(why -> new NotExclusive(partition, why))
                .orElseGet(() -> new Quorate(partition));
    }
}
