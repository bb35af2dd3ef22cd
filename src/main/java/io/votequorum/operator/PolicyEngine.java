package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.micrometer.core.instrument.MeterRegistry;
import io.votequorum.fencing.FencePlan;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.fencing.NodeFacts;
import io.votequorum.fencing.NodeStep;
import io.votequorum.fencing.PartitionVerdict;
import io.votequorum.fencing.QuoratePartition;
import io.votequorum.model.Conditions;
import io.votequorum.model.FenceStage;
import io.votequorum.model.FencedNode;
import io.votequorum.model.FencingMode;
import io.votequorum.model.Partition;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.Serialised;
import io.votequorum.model.UnmappedNode;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.model.VoteQuorumPolicyStatus;
import io.votequorum.policy.QuorumRisk;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Runs passes of policies: each pass reads its cluster once ({@link ClusterSnapshot}), decides the
 * whole fenced set ({@link FencePlan}), carries it out through the {@link Outside} (Enforce) or only
 * reports it, hands the votes to the agents, and returns the policy's status. Level-triggered: the
 * same state gives the same actions, so a restart at any point converges without repeating a step.
 * It remembers only which Events it already sent, so that each news gets one. The operator runs it
 * against the informers' caches and the API server; the simulation against its own store.
 */
public final class PolicyEngine {

    private static final Logger LOG = Logger.getLogger(PolicyEngine.class);
    /** The ladder depends on time as well as on events: look again at least this often. */
    public static final Duration RECHECK = Duration.ofSeconds(2);
    /** With nothing pending, look again at the latest after this, even if no Lease runs out before. */
    static final Duration IDLE_RECHECK = Duration.ofSeconds(60);
    /** A quorate view missing for this long is more than a membership change passing: worth a Warning. */
    static final Duration SETTLE = Duration.ofSeconds(5);

    private final Outside outside;
    private final PolicyEvents events;
    private final PolicyDevice device;
    private final OperatorMetrics metrics;
    private final Clock clock;
    /** Problems already announced (an unparsable confirmation), so each gets one Event. */
    private final Set<String> announcedProblems = ConcurrentHashMap.newKeySet();
    /** The generation whose votes each policy last announced as applied, so each gets one Event. */
    private final Map<String, Long> announcedApplied = new ConcurrentHashMap<>();
    /** Each policy's current reason for holding fencing back, and since when. */
    private final Map<String, HeldBack> heldBack = new ConcurrentHashMap<>();

    public PolicyEngine(Outside outside, MeterRegistry registry, Clock clock) {
        this.outside = outside;
        this.events = new PolicyEvents(outside);
        this.device = new PolicyDevice(outside);
        this.metrics = new OperatorMetrics(registry);
        this.clock = clock;
    }

    /**
     * What a pass ends with: the policy's new status (empty when it has not changed) and when to look
     * again.
     */
    public record Result(Optional<VoteQuorumPolicyStatus> status, Duration nextLook, Set<String> evicting) {}

    /** One pass: gather, decide, act, hand over votes, report. */
    public Result pass(VoteQuorumPolicy policy, ClusterCache cache) {
        long started = System.nanoTime();
        ClusterSnapshot cluster = ClusterSnapshot.read(policy, cache, clock.instant());
        FencePlan plan = FencePlan.decide(cluster.decisionReports(), cluster.facts(), cluster.rules(), cluster.now());
        Ladder.Outcome acted = act(cluster, plan);
        PolicyDevice.Verdict quorumDevice = device.evaluate(policy, cluster.reports(), cluster.nodes(), cluster.now());
        Optional<Condition> applied = handOverVotes(cluster, plan, quorumDevice);
        Optional<QuorumRisk> risk = partitionOf(plan).map(p -> risk(p, names(cluster)));
        warnOfRisk(policy, risk);
        metrics.plan(cluster.cluster(), plan, risk);
        metrics.decided(Duration.ofNanos(System.nanoTime() - started));
        return report(cluster, plan, acted, applied, risk, quorumDevice);
    }

    /**
     * A deleted policy lets go of its cluster, unless another policy governs it: the Nodes it fenced
     * lose what it added to them, and its agents' specs what it handed down (votes, self-fencing, the
     * quorum device). A failure throws, and the deletion waits for the next try.
     */
    public void release(VoteQuorumPolicy policy, ClusterCache cache) {
        String cluster = policy.getSpec().getClusterName();
        String name = policy.getMetadata().getName();
        boolean governed = cache.policiesOf(cluster).stream()
                .anyMatch(p -> !p.getMetadata().getName().equals(name)
                        && p.getMetadata().getDeletionTimestamp() == null);
        if (!governed) {
            KubernetesNodeActions actions = new KubernetesNodeActions(outside.nodes(), cluster, clock);
            for (Node node : cache.nodesFencedBy(cluster)) {
                actions.unfence(node);
                LOG.infof(
                        "policy %s deleted: unfenced %s",
                        name, node.getMetadata().getName());
            }
            for (QuorumStatus report : cache.reportsOf(cluster)) {
                if (report.getSpec() != null && name.equals(report.getSpec().getPolicy())) {
                    QuorumStatus withdrawn = new QuorumStatus();
                    withdrawn.setMetadata(new ObjectMetaBuilder()
                            .withName(report.getMetadata().getName())
                            .build());
                    withdrawn.setStatus(null);
                    outside.applySpec(withdrawn);
                }
            }
        }
        forget(policy);
    }

    /** The status of a pass that failed: as it was, with the Reconciled condition saying why. */
    public static VoteQuorumPolicyStatus failed(VoteQuorumPolicy policy, Exception error, Instant now) {
        VoteQuorumPolicyStatus before = policy.getStatus() == null ? new VoteQuorumPolicyStatus() : policy.getStatus();
        VoteQuorumPolicyStatus status = Serialised.copy(before, VoteQuorumPolicyStatus.class);
        String message = error.getClass().getSimpleName()
                + Optional.ofNullable(error.getMessage()).map(m -> ": " + m).orElse("");
        List<Condition> desired = new ArrayList<>(before.getConditions().stream()
                .filter(c -> !PolicyConditions.RECONCILED.equals(c.getType()))
                .toList());
        desired.add(PolicyConditions.passFailed(message, policy.getMetadata().getGeneration()));
        status.setConditions(Conditions.merge(before.getConditions(), desired, now));
        return status;
    }

    /** A deleted policy: forget what was announced about it. */
    public void forget(VoteQuorumPolicy policy) {
        String key = key(policy);
        announcedApplied.remove(key);
        heldBack.remove(key);
        announcedProblems.removeIf(p -> p.startsWith(key + "/"));
        compared.remove(key);
    }

    private static String key(VoteQuorumPolicy policy) {
        return policy.getMetadata().getName();
    }

    /**
     * Enforce: the plan's steps, carried out first (a fence must not wait behind the Node conditions'
     * writes), then the CorosyncQuorum condition on each Node. Outside Enforce, only the release of
     * Nodes the operator marked while it enforced (the healthy clock, the unfence), and an Event for each
     * change a dry run would make. Events tell what changed and what needs a person.
     */
    private Ladder.Outcome act(ClusterSnapshot cluster, FencePlan plan) {
        VoteQuorumPolicy policy = cluster.policy();
        NodeActions actions = new KubernetesNodeActions(outside.nodes(), cluster.cluster(), clock);
        List<FencePlan.NodeDecision> active =
                plan.decisions().stream().filter(FencePlan.NodeDecision::active).toList();
        List<NodeStep> steps = active.stream()
                .flatMap(d -> d.steps(cluster.fencing().getConfirmedAction()).stream())
                .filter(step -> cluster.enforce() || releases(step, cluster.marked()))
                .toList();
        Ladder.Outcome outcome = Ladder.carryOut(
                steps, cluster.nodes(), actions, cluster.fencing().getExemptPods());
        for (FencePlan.NodeDecision decision : active) {
            if (outcome.done().contains(decision.node())) {
                announce(policy, decision);
            }
        }
        for (Ladder.Failure failure : outcome.failures()) {
            metrics.action(Ladder.name(failure.step()), false);
            LOG.warnf("%s; the next reconcile tries again", failure.describe());
            if (changed(policy, PolicyConditions.ACTIONS, failure.describe())) {
                events.warning(policy, "ActionFailed", failure.describe());
            }
        }
        if (cluster.fencing().getMode() == FencingMode.DryRun) {
            active.stream()
                    .filter(FencePlan.NodeDecision::changes)
                    .filter(d -> !cluster.marked().contains(d.node()))
                    .forEach(d -> events.normal(policy, "DryRun", "would " + describe(d)));
        }
        if (!cluster.paused()) {
            try {
                reportQuorum(actions, plan, cluster.facts(), cluster.nodes());
            } catch (RuntimeException e) {
                LOG.warnf(
                        "cannot set the %s condition on the Nodes of %s: %s; the next reconcile tries again",
                        KubernetesNodeActions.QUORUM_CONDITION, cluster.cluster(), e.getMessage());
            }
        }
        for (String problem : cluster.problems()) {
            if (announcedProblems.add(key(policy) + "/" + problem)) {
                LOG.warn(problem);
                events.warning(policy, "InvalidConfirmation", problem);
            }
        }
        warnIfFencingHeldBack(cluster, plan);
        awaiting(plan)
                .filter(a -> plan.refusal().isEmpty() && cluster.acting())
                .filter(a -> changed(policy, PolicyConditions.FENCING, a))
                .ifPresent(a -> events.warning(policy, "AwaitingConfirmation", a));
        return outcome;
    }

    /** Outside Enforce, the operator still lets go of a Node it marked: the healthy clock, the unfence. */
    private static boolean releases(NodeStep step, Set<String> marked) {
        return marked.contains(step.node()) && (step instanceof NodeStep.Unfence || step instanceof NodeStep.Keep);
    }

    /** The nodes whose pods are being evicted: their pods' deletions wake the policy at once. */
    static Set<String> evicting(FencePlan plan, boolean enforce) {
        if (!enforce) {
            return Set.of();
        }
        return plan.decisions().stream()
                .filter(FencePlan.NodeDecision::active)
                .filter(d ->
                        d.desired().map(r -> r.stage() == FenceStage.Evicted).orElse(false))
                .map(FencePlan.NodeDecision::node)
                .collect(Collectors.toSet());
    }

    /**
     * A Warning only for what a person can act on. A limit (maxFencedNodes, never every node) holds
     * fencing back at once; a missing or ambiguous quorate view only once it has lasted {@link #SETTLE}:
     * every ordinary membership change passes through one for a moment.
     */
    private void warnIfFencingHeldBack(ClusterSnapshot cluster, FencePlan plan) {
        String key = key(cluster.policy());
        Optional<String> refusal = plan.refusal().filter(r -> cluster.acting() && cluster.valid());
        if (refusal.isEmpty()) {
            heldBack.remove(key);
            return;
        }
        String reason = refusal.get();
        HeldBack seen = heldBack.compute(
                key,
                (k, before) -> before != null && before.reason().equals(reason)
                        ? before
                        : new HeldBack(reason, cluster.now(), false));
        boolean settled = plan.verdict() instanceof PartitionVerdict.Quorate
                || !cluster.now().isBefore(seen.since().plus(SETTLE));
        if (settled && !seen.announced()) {
            heldBack.put(key, new HeldBack(reason, seen.since(), true));
            events.warning(cluster.policy(), "NotFencing", reason);
        }
    }

    /** How long a policy has been held back for the same reason, and whether its Warning went out. */
    private record HeldBack(String reason, Instant since, boolean announced) {}

    /** A node that moved up the ladder or was unfenced: its Event, metric and log line. */
    private void announce(VoteQuorumPolicy policy, FencePlan.NodeDecision decision) {
        String node = decision.node();
        if (decision.desired().isEmpty()) {
            if (decision.current().isPresent()) {
                metrics.action("Unfence", true);
                events.normal(policy, "Unfenced", node + ": " + decision.reason());
                LOG.infof("unfenced %s: %s", node, decision.reason());
            }
            return;
        }
        FenceRecord record = decision.desired().get();
        if (!Objects.equals(decision.current().map(FenceRecord::stage).orElse(null), record.stage())) {
            String why = record.stage() == FenceStage.Fenced
                    ? record.evidence().orElse(decision.reason())
                    : decision.reason();
            metrics.action(record.stage().name(), true);
            events.warning(policy, "Fenced", node + " " + record.stage() + ": " + why);
            LOG.infof("fencing %s: %s (%s)", node, record.stage(), why);
        }
    }

    /** The quorate partition the plan settled on, exclusive or not. */
    private static Optional<QuoratePartition> partitionOf(FencePlan plan) {
        return plan.verdict() instanceof PartitionVerdict.Quorate quorate
                ? Optional.of(quorate.partition())
                : plan.verdict() instanceof PartitionVerdict.NotExclusive shared
                        ? Optional.of(shared.partition())
                        : Optional.empty();
    }

    /** A name for each corosync node: its Kubernetes Node's, else corosync's own, else its id. */
    private static Function<Long, String> names(ClusterSnapshot cluster) {
        Map<Long, String> names = new HashMap<>();
        cluster.facts().forEach(f -> f.corosyncId().ifPresent(id -> names.putIfAbsent(id, f.name())));
        cluster.reports()
                .forEach(q -> q.getStatus().getMembers().stream()
                        .filter(m -> m.name() != null)
                        .forEach(m -> names.putIfAbsent(m.nodeId(), m.name())));
        return id -> names.getOrDefault(id, String.valueOf(id));
    }

    /** What the quorate partition can lose: its members by name, and the quorum device's cast vote. */
    static QuorumRisk risk(QuoratePartition partition, Function<Long, String> names) {
        Map<String, Integer> votes = new TreeMap<>();
        partition.memberVotes().forEach((id, v) -> votes.put(names.apply(id), v));
        int members = votes.values().stream().mapToInt(Integer::intValue).sum();
        return new QuorumRisk(votes, Math.max(0, partition.totalVotes() - members), partition.quorum());
    }

    /** A Warning when a single loss comes to break quorum, or the nodes it concerns change. */
    private void warnOfRisk(VoteQuorumPolicy policy, Optional<QuorumRisk> risk) {
        risk.filter(QuorumRisk::atRisk)
                .map(r ->
                        PolicyConditions.quorumAtRisk(risk, policy.getMetadata().getGeneration()))
                .filter(c -> changed(policy, PolicyConditions.QUORUM_AT_RISK, c.getMessage()))
                .ifPresent(c -> events.warning(policy, "QuorumAtRisk", c.getMessage()));
    }

    /** Votes go to the agents only from the quorate partition, and only from a valid policy. */
    private Optional<Condition> handOverVotes(
            ClusterSnapshot cluster, FencePlan plan, PolicyDevice.Verdict quorumDevice) {
        VoteQuorumPolicy policy = cluster.policy();
        PolicyVotes.Validation validation = cluster.validation();
        if (!cluster.valid()) {
            if (changed(policy, PolicyConditions.VALID, validation.valid().getMessage())) {
                events.warning(policy, "Invalid", validation.valid().getMessage());
            }
            return Optional.empty();
        }
        validation
                .unsafe()
                .filter(u -> changed(policy, PolicyConditions.UNSAFE, u.getMessage()))
                .ifPresent(u -> events.warning(policy, "Unsafe", u.getMessage()));
        if (cluster.paused()) {
            return Optional.of(PolicyConditions.notApplied("Paused", "the policy is paused", cluster.generation()));
        }
        if (!(plan.verdict() instanceof PartitionVerdict.Quorate)) {
            return Optional.of(PolicyConditions.notApplied(
                    "NotQuorate", "votes are applied only while the cluster is quorate", cluster.generation()));
        }
        quorumDevice
                .condition()
                .filter(c -> "False".equals(c.getStatus()))
                .filter(c -> changed(policy, PolicyDevice.CONDITION, c.getMessage()))
                .ifPresent(c -> events.warning(policy, "QuorumDeviceRefused", c.getMessage()));
        PolicyVotes.Applying applying = PolicyVotes.apply(
                outside,
                policy,
                validation.layout().get(),
                validation.named(),
                cluster.reports(),
                quorumDevice.handDown());
        if (!applying.written().isEmpty()) {
            events.normal(
                    policy,
                    "VotesWritten",
                    "generation " + cluster.generation() + " handed to the agents of "
                            + String.join(", ", new TreeSet<>(applying.written())));
        }
        Condition applied = applying.applied();
        String key = key(policy);
        if ("True".equals(applied.getStatus())) {
            // Once per generation: quorum lost and back does not apply anything again.
            if (!Objects.equals(announcedApplied.put(key, cluster.generation()), cluster.generation())) {
                events.normal(policy, "Applied", applied.getMessage());
            }
        } else if ("Refused".equals(applied.getReason())
                && changed(policy, PolicyConditions.APPLIED, applied.getMessage())) {
            events.warning(policy, "ApplyRefused", applied.getMessage());
        }
        return Optional.of(applied);
    }

    /** The policy's status from the plan and the steps' outcome; empty when it has not changed. */
    private Result report(
            ClusterSnapshot cluster,
            FencePlan plan,
            Ladder.Outcome acted,
            Optional<Condition> applied,
            Optional<QuorumRisk> risk,
            PolicyDevice.Verdict quorumDevice) {
        VoteQuorumPolicy policy = cluster.policy();
        List<Condition> extra = new ArrayList<>();
        extra.add(cluster.validation().valid());
        applied.ifPresent(extra::add);
        cluster.validation().unsafe().ifPresent(extra::add);
        if (cluster.enforce()) {
            extra.add(PolicyConditions.actions(
                    acted.failures().stream().map(Ladder.Failure::describe).toList(), cluster.generation()));
        }
        extra.add(PolicyConditions.quorumAtRisk(risk, cluster.generation()));
        extra.add(PolicyConditions.reconciled(cluster.generation()));
        quorumDevice.condition().ifPresent(extra::add);
        VoteQuorumPolicyStatus status = status(policy, plan, cluster.paused(), extra, cluster.now());
        quorumDevice
                .handDown()
                .ifPresent(d -> status.setQuorumDevice(PolicyDevice.status(d.getLeaseName(), cluster.reports())));
        status.setPartition(partitionOf(plan)
                .map(p -> partition(p, names(cluster), risk.orElseThrow()))
                .orElse(null));
        status.setUnmappedNodes(cluster.unmapped().entrySet().stream()
                .map(e -> new UnmappedNode(e.getKey(), e.getValue()))
                .toList());
        Duration next = acted.failures().isEmpty() && plan.refusal().isEmpty()
                ? nextLook(plan, cluster.heartbeats().values(), cluster.now())
                : RECHECK;
        return new Result(
                unchanged(policy, status) ? Optional.empty() : Optional.of(status),
                next,
                evicting(plan, cluster.enforce()));
    }

    /** The policy's status as last compared, with its JSON: the same status comes back pass after pass. */
    private record Compared(VoteQuorumPolicyStatus status, byte[] json) {}

    private final Map<String, Compared> compared = new ConcurrentHashMap<>();

    /** Whether the status is the one the policy has: compared by their JSON, the policy's kept while it stays. */
    private boolean unchanged(VoteQuorumPolicy policy, VoteQuorumPolicyStatus status) {
        VoteQuorumPolicyStatus current = policy.getStatus();
        if (current == null) {
            return false;
        }
        Compared before = compared.get(key(policy));
        byte[] currentJson = before != null && before.status() == current ? before.json() : Serialised.json(current);
        compared.put(key(policy), new Compared(current, currentJson));
        return Arrays.equals(currentJson, Serialised.json(status));
    }

    /**
     * The ladder and healthyDelay need a look every {@link #RECHECK} while a node is fenced or about to
     * be; otherwise the next decision that can change without an event is a heartbeat Lease running out.
     */
    static Duration nextLook(FencePlan plan, Collection<Lease> heartbeats, Instant now) {
        boolean pending = plan.decisions().stream()
                .anyMatch(d -> d.desired().isPresent() || d.current().isPresent());
        if (pending) {
            return RECHECK;
        }
        Duration next = IDLE_RECHECK;
        for (Lease lease : heartbeats) {
            if (lease.getSpec() == null
                    || lease.getSpec().getRenewTime() == null
                    || lease.getSpec().getLeaseDurationSeconds() == null) {
                continue;
            }
            Instant expires = lease.getSpec()
                    .getRenewTime()
                    .toInstant()
                    .plusSeconds(lease.getSpec().getLeaseDurationSeconds());
            Duration until = Duration.between(now, expires).plusMillis(100);
            if (!until.isNegative() && until.compareTo(next) < 0) {
                next = until;
            }
        }
        return next.compareTo(Duration.ofMillis(500)) < 0 ? Duration.ofMillis(500) : next;
    }

    /** The Node condition CorosyncQuorum on every Node mapped to this cluster. */
    private static void reportQuorum(
            NodeActions actions, FencePlan plan, List<NodeFacts> facts, Map<String, Node> cached) {
        for (NodeFacts node : facts) {
            Node current = cached.get(node.name());
            if (node.corosyncId().isEmpty() || current == null) {
                continue;
            }
            if (plan.verdict() instanceof PartitionVerdict.Quorate quorate) {
                boolean member =
                        quorate.partition().members().contains(node.corosyncId().get());
                actions.reportQuorum(
                        current,
                        member ? "True" : "False",
                        member ? "MemberOfQuoratePartition" : "OutsideQuoratePartition",
                        "corosync node " + node.corosyncId().get() + (member ? " is" : " is not")
                                + " a member of the quorate partition (ring "
                                + quorate.partition().ring() + ")");
            } else if (plan.verdict() instanceof PartitionVerdict.NotExclusive shared) {
                boolean member =
                        shared.partition().members().contains(node.corosyncId().get());
                // Outside a partition that cannot rule out another, a node may well be quorate itself.
                actions.reportQuorum(
                        current,
                        member ? "True" : "Unknown",
                        member ? "MemberOfQuoratePartition" : "QuoratePartitionNotExclusive",
                        member
                                ? "corosync node " + node.corosyncId().get()
                                        + " is a member of a quorate partition (ring "
                                        + shared.partition().ring() + ")"
                                : shared.reason());
            } else {
                actions.reportQuorum(
                        current,
                        "Unknown",
                        "NoSettledQuorateView",
                        ((PartitionVerdict.NoQuorateView) plan.verdict()).reason());
            }
        }
    }

    private static String describe(FencePlan.NodeDecision decision) {
        return decision.desired()
                        .map(r -> switch (r.stage()) {
                            case Cordoned -> "cordon and taint " + decision.node();
                            case Evicted -> "evict the pods of " + decision.node() + " and taint it NoExecute";
                            case Fenced ->
                                "mark " + decision.node() + " out of service ("
                                        + r.evidence().orElse("") + ")";
                        })
                        .orElse("unfence " + decision.node())
                + ": " + decision.reason();
    }

    /** What the nodes waiting for proof that they are off need, one sentence each. */
    private static Optional<String> awaiting(FencePlan plan) {
        List<String> waiting = plan.decisions().stream()
                .filter(FencePlan.NodeDecision::active)
                .flatMap(d -> d.awaiting().stream())
                .toList();
        return waiting.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", waiting));
    }

    private static VoteQuorumPolicyStatus status(
            VoteQuorumPolicy policy, FencePlan plan, boolean paused, List<Condition> extra, Instant now) {
        VoteQuorumPolicyStatus status = new VoteQuorumPolicyStatus();
        status.setObservedGeneration(policy.getMetadata().getGeneration());
        Long generation = policy.getMetadata().getGeneration();
        List<Condition> desired = new ArrayList<>(extra);
        desired.add(PolicyConditions.quorate(plan.verdict(), generation));
        List<FencedNode> fenced = plan.fenced().stream()
                .map(d -> FenceRecords.toStatus(d.node(), d.desired().get()))
                .toList();
        status.setFencedNodes(fenced);
        status.setFencedCount(fenced.size());
        Optional<Condition> invalid = extra.stream()
                .filter(c -> PolicyConditions.VALID.equals(c.getType()))
                .filter(c -> "False".equals(c.getStatus()))
                .findFirst();
        desired.add(PolicyConditions.fencing(
                plan,
                policy.getSpec().getFencing().getMode(),
                paused,
                invalid,
                awaiting(plan),
                fenced.size(),
                generation));
        desired.add(PolicyConditions.paused(paused, generation));
        status.setConditions(Conditions.merge(
                policy.getStatus() == null ? List.of() : policy.getStatus().getConditions(), desired, now));
        return status;
    }

    private static Partition partition(QuoratePartition p, Function<Long, String> names, QuorumRisk risk) {
        return new Partition(
                p.ring(),
                p.members().stream().map(names).sorted().toList(),
                p.members().size(),
                p.totalVotes(),
                p.quorum(),
                p.votesToSpare(),
                risk.critical());
    }

    /** Whether the policy's condition of this type says something else now: Events only for news. */
    private static boolean changed(VoteQuorumPolicy policy, String type, String message) {
        return policy.getStatus() == null
                || !Conditions.find(policy.getStatus().getConditions(), type)
                        .map(Condition::getMessage)
                        .filter(message::equals)
                        .isPresent();
    }
}
