package io.votequorum.fencing;

import io.votequorum.model.ConfirmedFenceAction;
import io.votequorum.model.FenceStage;
import io.votequorum.model.VoteQuorumApi;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The whole fenced set, recomputed from scratch on every reconcile (safety rule 2): for each node,
 * the record it should carry, and why. Pure: reports, nodes, rules and the time in; decisions out.
 *
 * @param refusal why nothing new is fenced, when something stops it (no settled quorate view, a
 *                storm, a pause); empty when the plan is carried out in full
 */
public record FencePlan(PartitionVerdict verdict, List<NodeDecision> decisions, Optional<String> refusal) {

    /** On a Node: the time an administrator or another fencer confirmed that it is off. */
    public static final String CONFIRMED_OFF = VoteQuorumApi.CONFIRMED_OFF_ANNOTATION;

    /**
     * One node: the record it carries now, the record it should carry (empty: unfenced), and why.
     * {@code active} is false when nothing may be done to the node (no settled view, a pause, no
     * mapping): its record is kept as it is and no step runs. {@code awaiting} says, once fenceTimeout
     * has passed after eviction without proof that the node is off, what would confirm it.
     */
    public record NodeDecision(
            String node,
            Optional<FenceRecord> current,
            Optional<FenceRecord> desired,
            String reason,
            boolean active,
            Optional<String> awaiting) {

        public NodeDecision(
                String node,
                Optional<FenceRecord> current,
                Optional<FenceRecord> desired,
                String reason,
                boolean active) {
            this(node, current, desired, reason, active, Optional.empty());
        }

        public boolean changes() {
            return !current.equals(desired);
        }

        /**
         * The steps that bring the node to the desired record, in order; none when nothing may be done
         * to it. Step 3 is the one {@code confirmedAction} names.
         */
        public List<NodeStep> steps(ConfirmedFenceAction confirmedAction) {
            if (!active) {
                return List.of();
            }
            if (desired.isEmpty()) {
                return current.isPresent() ? List.of(new NodeStep.Unfence(node)) : List.of();
            }
            FenceRecord record = desired.get();
            if (record.healthySince().isPresent()) {
                return List.of(new NodeStep.Keep(node, record));
            }
            return switch (record.stage()) {
                case Cordoned -> List.of(new NodeStep.Cordon(node, record));
                case Evicted -> List.of(new NodeStep.Evict(node, record));
                case Fenced -> forced(record, confirmedAction);
            };
        }

        /**
         * Step 3 as {@code confirmedAction} says. The forced deletion happens once, on the step up: a node
         * seen again takes the record back to Evicted, and no pod is placed on a fenced node, so a repeat
         * could only meet a node that came back unseen.
         */
        private List<NodeStep> forced(FenceRecord record, ConfirmedFenceAction confirmedAction) {
            boolean already = current.map(r -> r.stage() == FenceStage.Fenced).orElse(false);
            return switch (confirmedAction) {
                case OutOfServiceTaint ->
                    List.of(new NodeStep.Evict(node, record), new NodeStep.MarkOutOfService(node, record));
                case ResourceDeletion ->
                    already
                            ? List.of(new NodeStep.Evict(node, record))
                            : List.of(new NodeStep.Evict(node, record), new NodeStep.DeleteWorkloads(node, record));
            };
        }
    }

    public FencePlan {
        decisions = List.copyOf(decisions);
    }

    /** Nodes the plan keeps or puts on the ladder. */
    public List<NodeDecision> fenced() {
        return decisions.stream().filter(d -> d.desired().isPresent()).toList();
    }

    public static FencePlan decide(List<Report> reports, List<NodeFacts> nodes, FencingRules rules, Instant now) {
        PartitionVerdict verdict = PartitionVerdict.of(reports);
        if (rules.paused()) {
            return unchanged(verdict, nodes, "the policy is paused");
        }
        if (verdict instanceof PartitionVerdict.NoQuorateView none) {
            return unchanged(verdict, nodes, none.reason());
        }
        if (verdict instanceof PartitionVerdict.NotExclusive shared) {
            return unchanged(verdict, nodes, shared.reason());
        }
        Judge judge = new Judge(((PartitionVerdict.Quorate) verdict).partition(), rules, now, deviceVoteLife(reports));
        QuoratePartition partition = judge.partition();
        List<NodeFacts> cluster =
                nodes.stream().filter(n -> n.corosyncId().isPresent()).toList();
        List<NodeFacts> outside = cluster.stream()
                .filter(n -> !partition.members().contains(n.corosyncId().orElseThrow()))
                .toList();

        // Members still waiting out healthyDelay, or paused, stay fenced and count against the limits too.
        long waitingToUnfence = cluster.stream()
                .filter(n -> !outside.contains(n))
                .filter(n -> n.paused()
                        ? n.record().isPresent()
                        : judge.member(n).desired().isPresent())
                .count();

        Optional<String> refusal = Optional.empty();
        boolean fenceNew = rules.advances();
        if (!cluster.isEmpty() && outside.size() + waitingToUnfence >= cluster.size()) {
            refusal = Optional.of(
                    outside.size() == cluster.size()
                            ? "the quorate partition (ring " + partition.ring()
                                    + ") has no Kubernetes node; fencing every " + "node is never done"
                            : "fencing " + outside.size() + " more node(s) while " + waitingToUnfence
                                    + " wait to be unfenced "
                                    + "would leave no node unfenced; fencing every node is never done");
            fenceNew = false;
        } else if (outside.size() + waitingToUnfence > rules.maxFencedNodes()) {
            refusal = Optional.of(outside.size() + " nodes are outside the quorate partition ("
                    + outside.stream().map(NodeFacts::name).collect(Collectors.joining(", ")) + ")"
                    + (waitingToUnfence > 0 ? " and " + waitingToUnfence + " still wait to be unfenced" : "")
                    + " but maxFencedNodes is " + rules.maxFencedNodes() + "; no further node is fenced");
            fenceNew = false;
        }

        List<NodeDecision> decisions = new ArrayList<>();
        for (NodeFacts node : nodes) {
            if (node.corosyncId().isEmpty()) {
                decisions.add(new NodeDecision(
                        node.name(), node.record(), node.record(), "not mapped to a corosync node", false));
            } else if (node.paused()) {
                decisions.add(new NodeDecision(node.name(), node.record(), node.record(), "the Node is paused", false));
            } else if (partition.members().contains(node.corosyncId().get())) {
                decisions.add(judge.member(node));
            } else if (!rules.advances()) {
                decisions.add(new NodeDecision(
                        node.name(),
                        node.record(),
                        node.record(),
                        "fencing is Disabled: nodes outside the quorate partition are left as they are",
                        false));
            } else if (node.record().isEmpty() && !fenceNew) {
                decisions.add(new NodeDecision(
                        node.name(), Optional.empty(), Optional.empty(), refusal.orElseThrow(), false));
            } else {
                decisions.add(judge.outside(node));
            }
        }
        return new FencePlan(verdict, decisions, refusal);
    }

    private static FencePlan unchanged(PartitionVerdict verdict, List<NodeFacts> nodes, String reason) {
        return new FencePlan(
                verdict,
                nodes.stream()
                        .map(n -> new NodeDecision(n.name(), n.record(), n.record(), reason, false))
                        .toList(),
                Optional.of(reason));
    }

    /**
     * The longest a quorum device's cast vote can keep a partition quorate after it was last cast, as
     * the reports give it: a lost side may read quorate that long after the split, and feed its watchdog.
     */
    static Duration deviceVoteLife(List<Report> reports) {
        return reports.stream()
                .map(r -> r.votes().deviceVoteLife())
                .max(Duration::compareTo)
                .orElse(Duration.ZERO);
    }

    /** One node at a time, against the settled quorate partition, the rules and the time. */
    record Judge(QuoratePartition partition, FencingRules rules, Instant now, Duration deviceVoteLife) {

        /** A member of the quorate partition: unfenced once it has been a member for healthyDelay. */
        NodeDecision member(NodeFacts node) {
            if (node.record().isEmpty()) {
                return new NodeDecision(
                        node.name(),
                        Optional.empty(),
                        Optional.empty(),
                        "member of the quorate partition (ring " + partition.ring() + ")",
                        true);
            }
            FenceRecord record = node.record().get();
            Instant healthySince = record.healthySince().orElse(now);
            Instant unfenceAt = healthySince.plus(rules.healthyDelay());
            if (!now.isBefore(unfenceAt)) {
                return new NodeDecision(
                        node.name(),
                        node.record(),
                        Optional.empty(),
                        "member of the quorate partition " + "(ring " + partition.ring() + ") since " + healthySince
                                + ", longer than healthyDelay",
                        true);
            }
            return new NodeDecision(
                    node.name(),
                    node.record(),
                    Optional.of(record.healthyFrom(healthySince)),
                    "member of the quorate partition again since " + healthySince + "; unfenced at " + unfenceAt,
                    true);
        }

        /**
         * Outside the quorate partition: up the ladder as far as the time and the evidence allow. The
         * ladder never steps back while the node stays outside, except that a sign of life after the
         * evidence takes a forced node back to Evicted: it is not off any more.
         */
        NodeDecision outside(NodeFacts node) {
            String why = "not a member of the quorate partition (ring " + partition.ring() + ", members "
                    + new TreeSet<>(partition.members()) + ")";
            FenceRecord record = node.record()
                    .map(r -> r.healthySince().isPresent() ? r.leftAgain(now, why) : r)
                    .orElseGet(() -> new FenceRecord(FenceStage.Cordoned, now, why, Optional.empty()));
            if (record.stage() == FenceStage.Fenced && stillOff(node, record)) {
                return decision(node, record.atStage(FenceStage.Fenced), why, Optional.empty());
            }
            // Until the evidence is taken, the record follows the node's boot: evidence counts for this one.
            record = record.onBoot(node.bootId().or(record::bootId));
            if (record.stage() == FenceStage.Cordoned
                    && now.isBefore(record.since().plus(rules.evictAfter()))) {
                return decision(node, record.atStage(FenceStage.Cordoned), why, Optional.empty());
            }
            Optional<FenceRecord.Evidence> proof = evidenceOff(node, record);
            if (proof.isPresent()) {
                return decision(node, record.fencedOn(proof.get()), why, Optional.empty());
            }
            String reason = record.stage() == FenceStage.Fenced
                    ? why + "; seen alive at "
                            + node.lastSignOfLife().map(Object::toString).orElse("an unknown time")
                            + ", after the evidence that it was off ("
                            + record.evidence().orElse("none recorded")
                            + "), so it waits for new evidence"
                    : why;
            Optional<String> awaiting = now.isBefore(record.since().plus(rules.fenceTimeout()))
                    ? Optional.empty()
                    : Optional.of(awaiting(node, record));
            return decision(node, record.atStage(FenceStage.Evicted), reason, awaiting);
        }

        private NodeDecision decision(NodeFacts node, FenceRecord desired, String why, Optional<String> awaiting) {
            return new NodeDecision(node.name(), node.record(), Optional.of(desired), why, true, awaiting);
        }

        /**
         * The evidence of a forced node still holds: no sign of life since it, by the node's clock, and no
         * new boot, whatever the clocks say (a node reset by its watchdog or rebooted by a fencer comes
         * back). A node that came back without reaching the API server cannot run pods: its kubelet learns
         * them from the API server. A record from before the evidence was timed is judged afresh.
         */
        private boolean stillOff(NodeFacts node, FenceRecord record) {
            return record.offSince().filter(off -> !node.aliveAfter(off)).isPresent() && !node.bootedSince(record);
        }

        /**
         * Safety rule 5: positive evidence that the node is off now, or empty. Evidence counts only when
         * it came after the node was last seen in a quorate ring, and no sign of life came after it. A
         * missing heartbeat is never evidence: an isolated node keeps running its pods.
         */
        Optional<FenceRecord.Evidence> evidenceOff(NodeFacts node, FenceRecord record) {
            Instant absent = absentSince(node, record);
            Instant floor = evidenceFloor(absent);
            Optional<Instant> confirmed = node.confirmedOff()
                    .filter(at -> !at.isBefore(floor))
                    .filter(at -> !now.isBefore(at))
                    .filter(at -> !node.aliveAfter(at));
            if (confirmed.isPresent()) {
                return Optional.of(new FenceRecord.Evidence(
                        "confirmed off at " + confirmed.get() + " by the " + CONFIRMED_OFF + " annotation",
                        confirmed.get()));
            }
            // Another fencer's fence counts only when done after the node left: one from before it left
            // says nothing of now. Only a fresh agent of the quorate partition is believed.
            Optional<OtherFence> fenced = node.otherFences().stream()
                    .filter(f -> f.believable(partition))
                    .filter(f -> !f.completed().isBefore(floor))
                    .filter(f -> !now.isBefore(f.completed()))
                    .filter(f -> !node.aliveAfter(f.completed()))
                    .findFirst();
            if (fenced.isPresent()) {
                return Optional.of(new FenceRecord.Evidence(
                        "fenced after it left the quorate partition (absent since " + absent + "): "
                                + fenced.get().describe(),
                        fenced.get().completed()));
            }
            Optional<Instant> safe = safeTime(node, record);
            if (safe.isPresent() && !now.isBefore(safe.get()) && !node.aliveAfter(safe.get())) {
                NodeFacts.SelfFencing self = node.selfFencing().orElseThrow();
                return Optional.of(new FenceRecord.Evidence(
                        "self-fenced: its watchdog " + self.device() + " (timeout "
                                + self.timeout().toSeconds()
                                + "s) stops being fed at most "
                                + longer(self.after(), rules.selfFenceAfter()).toSeconds()
                                + "s after it was last seen in a quorate ring (" + absent + "); off since "
                                + safe.get() + " at the latest",
                        safe.get()));
            }
            return Optional.empty();
        }

        /**
         * The earliest time a confirmation or another fencer's fence may name and count for the present
         * absence: the members see a node leave after corosync's detection, while a fencer such as
         * Pacemaker, told by the same membership change, may finish first; the safety margin covers
         * detection. A fence of an earlier absence lies further back: the node rebooted, rejoined and left
         * again since, which takes longer, and its new boot and signs of life void it as well.
         */
        Instant evidenceFloor(Instant absent) {
            return absent.minus(rules.safetyMargin());
        }

        /**
         * The start of the node's present absence: the latest time a member of the quorate partition
         * saw it leave its ring. Before that it may have been quorate, feeding its watchdog, running its
         * pods: a node that came back and left again is absent only since it left again, whether or not
         * the operator saw it come back. Without the members' times, the time the operator first saw it
         * outside.
         */
        Instant absentSince(NodeFacts node, FenceRecord record) {
            return node.corosyncId().map(id -> partition.absentSince().get(id)).orElse(record.since());
        }

        /**
         * Whether every member of the quorate partition says when it last saw the node in its ring: only
         * then is the latest of their times the start of the absence for sure. A member without a
         * current report may have been in a ring with the node after the others lost it.
         */
        boolean dated(NodeFacts node) {
            return node.corosyncId().map(partition::dated).orElse(false);
        }

        /**
         * When a watchdog-backed node is surely off: the start of its absence, plus the time a quorum
         * device's vote may still have kept it quorate, plus selfFenceAfter (the longer of the node's and
         * the policy's), plus the watchdog's timeout, plus the safety margin.
         */
        Optional<Instant> safeTime(NodeFacts node, FenceRecord record) {
            return node.selfFencing()
                    .filter(self -> dated(node))
                    .filter(self -> self.currentAt(absentSince(node, record)))
                    .map(self -> absentSince(node, record)
                            .plus(deviceVoteLife)
                            .plus(longer(self.after(), rules.selfFenceAfter()))
                            .plus(self.timeout())
                            .plus(rules.safetyMargin()));
        }

        private String awaiting(NodeFacts node, FenceRecord record) {
            Instant absent = absentSince(node, record);
            Instant floor = evidenceFloor(absent);
            String stale = node.confirmedOff()
                    .filter(at -> at.isBefore(floor))
                    .map(at -> " (its " + CONFIRMED_OFF + " annotation, " + at + ", is older than its absence and "
                            + "does not count)")
                    .or(() -> node.confirmedOff()
                            .filter(now::isBefore)
                            .map(at -> " (its " + CONFIRMED_OFF + " annotation names " + at
                                    + ", a time still to come; it counts from then)"))
                    .or(() -> node.confirmedOff()
                            .filter(node::aliveAfter)
                            .map(at -> " (it was seen alive at "
                                    + node.lastSignOfLife().orElseThrow() + ", after its " + CONFIRMED_OFF
                                    + " annotation " + at + ")"))
                    .orElse("");
            String older = node.otherFences().stream()
                    .filter(f -> f.believable(partition))
                    .filter(f -> f.completed().isBefore(floor) || node.aliveAfter(f.completed()))
                    .findFirst()
                    .map(f -> " (" + f.describe() + ", is older than its absence or was followed by a sign of "
                            + "life, and does not count)")
                    .orElse("");
            String self = node.selfFencing().isPresent() && !dated(node)
                    ? "its watchdog's safe time waits until every member of the quorate partition reports when it "
                            + "last saw the node (a member's report is not current)"
                    : safeTime(node, record)
                            .map(at -> "its watchdog makes it safe at " + at
                                    + (deviceVoteLife.isZero()
                                            ? ""
                                            : " (including " + deviceVoteLife.toSeconds()
                                                    + "s a quorum device's vote may have kept it quorate)"))
                            .orElse("it has no watchdog-backed self-fencing");
            return node.name() + " is outside the quorate partition since " + record.since() + " (absent since "
                    + absent + ") and its pods are evicted, but it is not known to be off, so its StatefulSet pods "
                    + "and volumes wait; " + self + stale + older
                    + ". Once it is off, confirm with: kubectl annotate node " + node.name() + " " + CONFIRMED_OFF
                    + "=$(date -u +%Y-%m-%dT%H:%M:%SZ) --overwrite";
        }
    }

    private static Duration longer(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
