package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.votequorum.fencing.FencePlan;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.fencing.FencingRules;
import io.votequorum.fencing.LeaseFreshness;
import io.votequorum.fencing.NodeFacts;
import io.votequorum.fencing.NodeMapping;
import io.votequorum.fencing.OtherFence;
import io.votequorum.fencing.PartitionVerdict;
import io.votequorum.fencing.QuoratePartition;
import io.votequorum.fencing.Report;
import io.votequorum.model.Conditions;
import io.votequorum.model.FenceStage;
import io.votequorum.model.FencedNode;
import io.votequorum.model.FencingHistory;
import io.votequorum.model.FencingMode;
import io.votequorum.model.FencingSpec;
import io.votequorum.model.KubeDuration;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.Partition;
import io.votequorum.model.Qdevice;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.UnmappedNode;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.model.VoteQuorumPolicyStatus;
import io.votequorum.model.WatchdogStatus;
import io.votequorum.policy.QuorumRisk;
import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Reconciles a VoteQuorumPolicy: reads every report, Lease and Node of its corosync cluster,
 * decides the whole fenced set with {@link FencePlan}, carries it out through {@link NodeActions}
 * (Enforce) or only reports it (DryRun), and writes the policy's status. Level-triggered: the same
 * state gives the same actions, so a restart at any point converges without repeating a step.
 */
@ControllerConfiguration(name = "fencing")
public class FencingReconciler implements Reconciler<VoteQuorumPolicy> {

    private static final Logger LOG = Logger.getLogger(FencingReconciler.class);
    /** The ladder depends on time as well as on events: look again at least this often. */
    static final Duration RECHECK = Duration.ofSeconds(2);
    /** With nothing pending, look again at the latest after this, even if no Lease runs out before. */
    static final Duration IDLE_RECHECK = Duration.ofSeconds(60);
    /** A quorate view missing for this long is more than a membership change passing: worth a Warning. */
    static final Duration SETTLE = Duration.ofSeconds(5);

    static final String BY_CLUSTER = "cluster";
    static final String BY_NODE_ID = "node-id";
    static final String BY_FENCING_CLUSTER = "fencing-cluster";

    @Inject
    OperatorConfig config;

    @Inject
    KubernetesClient client;

    @Inject
    MeterRegistry registry;

    private OperatorMetrics metrics;

    private InformerEventSource<QuorumStatus, VoteQuorumPolicy> statuses;
    private InformerEventSource<Lease, VoteQuorumPolicy> leases;
    private InformerEventSource<Node, VoteQuorumPolicy> nodes;
    private KubernetesClient evictions;
    private PolicyEvents events;
    private FencedNodePods evicting;
    private PolicyDevice device;
    /** Unparsable confirmations already reported, so each gets one Event, not one per reconcile. */
    private final Set<String> invalidConfirmations = ConcurrentHashMap.newKeySet();
    /** The generation whose votes each policy last announced as applied, so each gets one Event. */
    private final Map<String, Long> announcedApplied = new ConcurrentHashMap<>();
    /** Each policy's current reason for holding fencing back, and since when. */
    private final Map<String, HeldBack> heldBack = new ConcurrentHashMap<>();

    @Override
    public List<EventSource<?, VoteQuorumPolicy>> prepareEventSources(EventSourceContext<VoteQuorumPolicy> context) {
        context.getPrimaryCache()
                .addIndexer(BY_CLUSTER, p -> List.of(p.getSpec().getClusterName()));
        // Each report, Lease and Node goes to the policy of its own cluster; only what can change a decision wakes it.
        statuses = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(QuorumStatus.class, VoteQuorumPolicy.class)
                        .withSecondaryToPrimaryMapper(q -> policiesOf(context, clusterOf(q)))
                        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getStatus(), before.getStatus())
                                || !Objects.equals(now.getSpec(), before.getSpec()))
                        .build(),
                context);
        statuses.addIndexer(BY_CLUSTER, q -> clusterOf(q).map(List::of).orElse(List.of()));
        leases = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Lease.class, VoteQuorumPolicy.class)
                        .withNamespaces(config.namespace())
                        .withSecondaryToPrimaryMapper(
                                l -> statuses.get(new ResourceID(l.getMetadata().getName()))
                                        .map(q -> policiesOf(context, clusterOf(q)))
                                        .orElseGet(Set::of))
                        .withOnUpdateFilter(FencingReconciler::heartbeatMatters)
                        .build(),
                context);
        nodes = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Node.class, VoteQuorumPolicy.class)
                        .withSecondaryToPrimaryMapper(n -> policiesOfNode(context, n))
                        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getSpec(), before.getSpec())
                                || !Objects.equals(
                                        now.getMetadata().getLabels(),
                                        before.getMetadata().getLabels())
                                || !Objects.equals(
                                        now.getMetadata().getAnnotations(),
                                        before.getMetadata().getAnnotations()))
                        .build(),
                context);
        nodes.addIndexer(
                BY_NODE_ID,
                n -> Optional.ofNullable(n.getMetadata().getLabels())
                        .map(l -> l.get(VoteQuorumApi.NODE_ID_LABEL))
                        .map(List::of)
                        .orElse(List.of()));
        nodes.addIndexer(
                BY_FENCING_CLUSTER, n -> fencingCluster(n).map(List::of).orElse(List.of()));
        evicting = new FencedNodePods(context.getClient(), context.getPrimaryCache());
        return List.of(statuses, leases, nodes, evicting);
    }

    private static Optional<String> clusterOf(QuorumStatus q) {
        return Optional.ofNullable(q.getStatus()).map(QuorumStatusStatus::getClusterName);
    }

    private static Set<ResourceID> policiesOf(EventSourceContext<VoteQuorumPolicy> context, Optional<String> cluster) {
        return cluster.map(c -> context.getPrimaryCache().byIndex(BY_CLUSTER, c).stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .orElseGet(Set::of);
    }

    /** The policy of the Node's own report and of the cluster that fenced it; any policy when it has no report. */
    private Set<ResourceID> policiesOfNode(EventSourceContext<VoteQuorumPolicy> context, Node node) {
        Optional<QuorumStatus> own =
                statuses.get(new ResourceID(node.getMetadata().getName()));
        if (own.isEmpty()) {
            return context.getPrimaryCache()
                    .list()
                    .map(ResourceID::fromResource)
                    .collect(Collectors.toSet());
        }
        Set<ResourceID> policies = new HashSet<>(policiesOf(context, clusterOf(own.get())));
        policies.addAll(policiesOf(context, fencingCluster(node)));
        return policies;
    }

    private static Optional<String> fencingCluster(Node node) {
        try {
            return FenceAnnotation.of(node.getMetadata().getAnnotations()).map(FenceAnnotation::cluster);
        } catch (IllegalStateException e) {
            return Optional.empty(); // the reconcile that meets it says so
        }
    }

    /** A renewal of a fresh Lease changes no decision; a Lease that comes back to life, or changes holder, does. */
    static boolean heartbeatMatters(Lease now, Lease before) {
        if (before.getSpec() == null || now.getSpec() == null) {
            return true;
        }
        boolean wasFresh = LeaseFreshness.fresh(
                Optional.ofNullable(before.getSpec().getRenewTime()).map(t -> t.toInstant()),
                Optional.ofNullable(before.getSpec().getLeaseDurationSeconds()),
                Instant.now());
        return !wasFresh
                || !Objects.equals(
                        now.getSpec().getHolderIdentity(), before.getSpec().getHolderIdentity())
                || !Objects.equals(
                        now.getSpec().getLeaseDurationSeconds(),
                        before.getSpec().getLeaseDurationSeconds());
    }

    /** Clients, Events and metrics, made once: policies reconcile in parallel. */
    @PostConstruct
    void start() {
        evictions = KubernetesNodeActions.evictionClient(client);
        events = new PolicyEvents(client);
        device = new PolicyDevice(client);
        metrics = new OperatorMetrics(registry);
    }

    /**
     * One policy's cluster as the informers' caches show it at {@code now}: the reports, heartbeats
     * and Nodes, what is known about each node, and the policy's own validation. Nothing in it is read
     * from the API server.
     */
    private record Snapshot(
            VoteQuorumPolicy policy,
            Instant now,
            String cluster,
            FencingSpec fencing,
            boolean paused,
            List<QuorumStatus> reports,
            Map<String, Lease> leases,
            Map<String, Node> nodes,
            List<NodeFacts> facts,
            Map<String, String> unmapped,
            PolicyVotes.Validation validation) {

        boolean enforce() {
            return fencing.getMode() == FencingMode.Enforce;
        }

        boolean valid() {
            return validation.layout().isPresent();
        }

        /** Whether the policy acts at all: not paused, not Disabled. */
        boolean acting() {
            return !paused && fencing.getMode() != FencingMode.Disabled;
        }

        Long generation() {
            return policy.getMetadata().getGeneration();
        }
    }

    /** Gather, decide, act, hand over votes, report: each a method below. */
    @Override
    public UpdateControl<VoteQuorumPolicy> reconcile(VoteQuorumPolicy policy, Context<VoteQuorumPolicy> context) {
        long started = System.nanoTime();
        Snapshot cluster = gather(policy, context, Instant.now());
        FencePlan plan = decide(cluster);
        Ladder.Outcome acted = act(cluster, plan);
        PolicyDevice.Verdict quorumDevice = device.evaluate(policy, cluster.reports(), cluster.nodes(), cluster.now());
        Optional<Condition> applied = handOverVotes(cluster, plan, quorumDevice);
        Optional<QuorumRisk> risk = partitionOf(plan).map(p -> risk(p, names(cluster)));
        warnOfRisk(policy, risk);
        metrics.plan(cluster.cluster(), plan, risk);
        metrics.decided(Duration.ofNanos(System.nanoTime() - started));
        return report(cluster, plan, acted, applied, risk, quorumDevice);
    }

    /** The cluster from the caches: reports with their heartbeats, the Nodes that can matter, and each node's facts. */
    private Snapshot gather(VoteQuorumPolicy policy, Context<VoteQuorumPolicy> context, Instant now) {
        FencingSpec fencing = policy.getSpec().getFencing();
        boolean paused = "true".equals(annotation(policy, VoteQuorumApi.PAUSED_ANNOTATION));
        String cluster = policy.getSpec().getClusterName();
        List<QuorumStatus> reports = statuses.byIndex(BY_CLUSTER, cluster).stream()
                .filter(q -> q.getStatus() != null)
                .toList();
        Map<String, Lease> leaseByName = new HashMap<>();
        for (QuorumStatus q : reports) {
            leases.get(new ResourceID(q.getMetadata().getName(), config.namespace()))
                    .ifPresent(l -> leaseByName.put(l.getMetadata().getName(), l));
        }
        Map<String, QuorumStatus> reportByName =
                reports.stream().collect(Collectors.toMap(q -> q.getMetadata().getName(), q -> q, (a, b) -> a));
        Map<String, Long> reportedIds = new HashMap<>();
        Map<Long, String> corosyncNames = new HashMap<>();
        for (QuorumStatus q : reports) {
            Optional.ofNullable(q.getStatus().getNodeId())
                    .ifPresent(id -> reportedIds.put(q.getMetadata().getName(), id));
            q.getStatus()
                    .getMembers()
                    .forEach(m -> Optional.ofNullable(m.name())
                            .ifPresent(name -> corosyncNames.putIfAbsent(m.nodeId(), name)));
        }
        boolean enforce = fencing.getMode() == FencingMode.Enforce;
        Map<String, FencedNode> dryRunRecords = policy.getStatus() == null
                ? Map.of()
                : policy.getStatus().getFencedNodes().stream()
                        .collect(Collectors.toMap(FencedNode::nodeName, f -> f, (a, b) -> a));
        Map<String, Node> nodesByName = candidateNodes(cluster, reportedIds, corosyncNames, dryRunRecords.keySet());
        // A Node whose own report names another cluster is that cluster's, whatever its label says.
        NodeMapping.Result mapping = NodeMapping.map(
                nodesByName.values().stream()
                        .filter(n -> statuses.get(new ResourceID(n.getMetadata().getName()))
                                .flatMap(FencingReconciler::clusterOf)
                                .map(cluster::equals)
                                .orElse(true))
                        .map(n -> new NodeMapping.KubeNode(
                                n.getMetadata().getName(), n.getMetadata().getLabels()))
                        .toList(),
                reportedIds,
                corosyncNames);

        Map<String, List<OtherFence>> otherFences = otherFences(reports, leaseByName, mapping, now);
        List<NodeFacts> facts = new ArrayList<>();
        for (Node node : nodesByName.values()) {
            String name = node.getMetadata().getName();
            // A record another cluster's policy wrote is that policy's to act on.
            Optional<FenceRecord> record = enforce
                    ? FenceAnnotation.of(node.getMetadata().getAnnotations())
                            .filter(a -> cluster.equals(a.cluster()))
                            .map(FenceAnnotation::record)
                    : Optional.ofNullable(dryRunRecords.get(name))
                            .map(f -> new FenceRecord(
                                    f.stage(),
                                    Instant.parse(f.since()),
                                    f.reason(),
                                    Optional.empty(),
                                    Optional.ofNullable(f.evidence())));
            if (mapping.idOf(name).isEmpty() && record.isEmpty()) {
                continue;
            }
            facts.add(new NodeFacts(
                    name,
                    mapping.idOf(name),
                    "true".equals(annotation(node, VoteQuorumApi.PAUSED_ANNOTATION)),
                    record,
                    selfFencing(reportByName.get(name), fencing),
                    confirmedOff(policy, node),
                    otherFences.getOrDefault(name, List.of())));
        }
        PolicyVotes.Validation validation = PolicyVotes.validate(
                policy, context.getPrimaryCache().byIndex(BY_CLUSTER, cluster), reports, nodesByName);
        return new Snapshot(
                policy,
                now,
                cluster,
                fencing,
                paused,
                reports,
                leaseByName,
                nodesByName,
                facts,
                mapping.unmapped(),
                validation);
    }

    /** The whole fenced set, from scratch: pure. */
    private static FencePlan decide(Snapshot cluster) {
        FencingSpec fencing = cluster.fencing();
        List<Report> reports = cluster.reports().stream()
                .map(q -> report(q, cluster.leases().get(q.getMetadata().getName()), cluster.now()))
                .toList();
        return FencePlan.decide(
                reports,
                cluster.facts(),
                new FencingRules(
                        KubeDuration.parse(fencing.getEvictAfter()),
                        KubeDuration.parse(fencing.getFenceTimeout()),
                        KubeDuration.parse(fencing.getHealthyDelay()),
                        fencing.getMaxFencedNodes(),
                        !cluster.acting() || !cluster.valid(),
                        KubeDuration.parse(fencing.getSelfFenceAfter()),
                        KubeDuration.parse(fencing.getSafetyMargin())),
                cluster.now());
    }

    /**
     * Enforce: the plan's steps, carried out first (a fence must not wait behind the Node conditions'
     * writes), then the CorosyncQuorum condition on each Node. DryRun: an Event for each change it
     * would make. Events tell what changed and what needs a person.
     */
    private Ladder.Outcome act(Snapshot cluster, FencePlan plan) {
        VoteQuorumPolicy policy = cluster.policy();
        NodeActions actions = new KubernetesNodeActions(client, evictions, cluster.cluster());
        List<FencePlan.NodeDecision> active =
                plan.decisions().stream().filter(FencePlan.NodeDecision::active).toList();
        Ladder.Outcome outcome = new Ladder.Outcome(List.of(), List.of());
        if (cluster.enforce()) {
            outcome = Ladder.carryOut(
                    active.stream()
                            .flatMap(d -> d.steps(cluster.fencing().getConfirmedAction()).stream())
                            .toList(),
                    cluster.nodes(),
                    actions,
                    cluster.fencing().getExemptPods());
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
        } else if (cluster.fencing().getMode() == FencingMode.DryRun) {
            active.stream()
                    .filter(FencePlan.NodeDecision::changes)
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
        warnIfFencingHeldBack(cluster, plan);
        awaiting(plan)
                .filter(a -> plan.refusal().isEmpty() && cluster.acting())
                .filter(a -> changed(policy, PolicyConditions.FENCING, a))
                .ifPresent(a -> events.warning(policy, "AwaitingConfirmation", a));
        // While a node's pods are being evicted, their deletions wake this policy at once.
        evicting.track(
                ResourceID.fromResource(policy),
                !cluster.enforce()
                        ? Set.of()
                        : active.stream()
                                .filter(d -> d.desired()
                                        .map(r -> r.stage() == FenceStage.Evicted)
                                        .orElse(false))
                                .map(FencePlan.NodeDecision::node)
                                .collect(Collectors.toSet()));
        return outcome;
    }

    /**
     * A Warning only for what a person can act on. A limit (maxFencedNodes, never every node) holds
     * fencing back at once; a missing or ambiguous quorate view only once it has lasted {@link #SETTLE}:
     * every ordinary membership change passes through one for a moment.
     */
    private void warnIfFencingHeldBack(Snapshot cluster, FencePlan plan) {
        String key = ResourceID.fromResource(cluster.policy()).toString();
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
    private static Function<Long, String> names(Snapshot cluster) {
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
    private Optional<Condition> handOverVotes(Snapshot cluster, FencePlan plan, PolicyDevice.Verdict quorumDevice) {
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
                client,
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
        String key = ResourceID.fromResource(policy).toString();
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

    /** The policy's status from the plan and the steps' outcome; written only when it changed. */
    private static UpdateControl<VoteQuorumPolicy> report(
            Snapshot cluster,
            FencePlan plan,
            Ladder.Outcome acted,
            Optional<Condition> applied,
            Optional<QuorumRisk> risk,
            PolicyDevice.Verdict quorumDevice) {
        VoteQuorumPolicy policy = cluster.policy();
        VoteQuorumPolicy update = new VoteQuorumPolicy();
        update.setMetadata(
                new ObjectMetaBuilder().withName(policy.getMetadata().getName()).build());
        update.setSpec(null);
        List<Condition> extra = new ArrayList<>();
        extra.add(cluster.validation().valid());
        applied.ifPresent(extra::add);
        cluster.validation().unsafe().ifPresent(extra::add);
        if (cluster.enforce()) {
            extra.add(PolicyConditions.actions(
                    acted.failures().stream().map(Ladder.Failure::describe).toList(), cluster.generation()));
        }
        extra.add(PolicyConditions.quorumAtRisk(risk, cluster.generation()));
        quorumDevice.condition().ifPresent(extra::add);
        update.setStatus(status(policy, plan, cluster.paused(), extra, cluster.now()));
        quorumDevice
                .handDown()
                .ifPresent(d ->
                        update.getStatus().setQuorumDevice(PolicyDevice.status(d.getLeaseName(), cluster.reports())));
        update.getStatus()
                .setPartition(partitionOf(plan)
                        .map(p -> partition(p, names(cluster), risk.orElseThrow()))
                        .orElse(null));
        update.getStatus()
                .setUnmappedNodes(cluster.unmapped().entrySet().stream()
                        .map(e -> new UnmappedNode(e.getKey(), e.getValue()))
                        .toList());
        Duration next = acted.failures().isEmpty() && plan.refusal().isEmpty()
                ? nextLook(plan, cluster.leases().values(), cluster.now())
                : RECHECK;
        if (update.getStatus().equals(policy.getStatus())) {
            return UpdateControl.<VoteQuorumPolicy>noUpdate().rescheduleAfter(next);
        }
        return UpdateControl.patchStatus(update).rescheduleAfter(next);
    }

    /**
     * The Nodes that can matter to this cluster: those its agents report from, those named or
     * labelled as its corosync nodes, and those it fenced. Found through the informers' indexes, so
     * a reconcile costs the size of the cluster, not of the Kubernetes cluster.
     */
    private Map<String, Node> candidateNodes(
            String cluster, Map<String, Long> reportedIds, Map<Long, String> corosyncNames, Set<String> recorded) {
        Map<String, Node> found = new TreeMap<>();
        Consumer<String> byName = name -> nodes.get(new ResourceID(name)).ifPresent(n -> found.put(name, n));
        reportedIds.keySet().forEach(byName);
        corosyncNames.values().forEach(byName);
        recorded.forEach(byName);
        Set<Long> ids = new HashSet<>(reportedIds.values());
        ids.addAll(corosyncNames.keySet());
        ids.forEach(id -> nodes.byIndex(BY_NODE_ID, String.valueOf(id))
                .forEach(n -> found.put(n.getMetadata().getName(), n)));
        nodes.byIndex(BY_FENCING_CLUSTER, cluster)
                .forEach(n -> found.put(n.getMetadata().getName(), n));
        return found;
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

    /**
     * Watchdog-backed self-fencing, as the node's agent last reported it armed; the longer selfFenceAfter
     * wins. Only while the policy asks for self-fencing, and only from a report of the current spec: an
     * agent disarms as soon as it sees self-fencing turned off, before its report can say so.
     */
    static Optional<NodeFacts.SelfFencing> selfFencing(QuorumStatus report, FencingSpec policy) {
        if (report == null
                || report.getStatus().getWatchdog() == null
                || !report.getStatus().getWatchdog().backsSelfFencing()
                || policy.getNoQuorumAction() != NoQuorumAction.SelfFence
                || report.getSpec() == null
                || report.getSpec().getSelfFenceAfter() == null
                || !Objects.equals(
                        report.getStatus().getObservedGeneration(),
                        report.getMetadata().getGeneration())) {
            return Optional.empty();
        }
        WatchdogStatus watchdog = report.getStatus().getWatchdog();
        try {
            Duration after = KubeDuration.parse(watchdog.selfFenceAfter());
            Duration spec = KubeDuration.parse(report.getSpec().getSelfFenceAfter());
            after = spec.compareTo(after) > 0 ? spec : after;
            return Optional.of(
                    new NodeFacts.SelfFencing(watchdog.device(), after, Duration.ofSeconds(watchdog.timeoutSeconds())));
        } catch (IllegalArgumentException e) {
            LOG.warnf(
                    "QuorumStatus %s: watchdog.selfFenceAfter '%s' is not a duration; the node does not count as "
                            + "self-fenced",
                    report.getMetadata().getName(), watchdog.selfFenceAfter());
            return Optional.empty();
        }
    }

    /**
     * The fences another fencer completed, by the Kubernetes Node fenced, as each agent reports them:
     * by corosync node id where the report names one, else by the fencer's name for the node.
     */
    static Map<String, List<OtherFence>> otherFences(
            List<QuorumStatus> reports, Map<String, Lease> leases, NodeMapping.Result mapping, Instant now) {
        Map<Long, String> nodeById = new HashMap<>();
        mapping.corosyncIds().forEach((name, id) -> nodeById.put(id, name));
        Map<String, List<OtherFence>> fences = new HashMap<>();
        for (QuorumStatus q : reports) {
            QuorumStatusStatus s = q.getStatus();
            if (s.getFencingHistory() == null || s.getNodeId() == null) {
                continue;
            }
            String reporter = q.getMetadata().getName();
            boolean fresh = report(q, leases.get(reporter), now).fresh();
            for (FencingHistory.CompletedFence f : s.getFencingHistory().fenced()) {
                String node = f.nodeId() != null ? nodeById.get(f.nodeId()) : f.node();
                Optional<Instant> completed = parseTime(f.completed());
                if (node == null || completed.isEmpty()) {
                    continue;
                }
                fences.computeIfAbsent(node, k -> new ArrayList<>())
                        .add(new OtherFence(
                                s.getFencingHistory().source(),
                                f.action(),
                                completed.get(),
                                Optional.ofNullable(f.delegate()),
                                reporter,
                                s.getNodeId(),
                                fresh));
            }
        }
        return fences;
    }

    private static Optional<Instant> parseTime(String value) {
        try {
            return Optional.ofNullable(value).map(Instant::parse);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The time in the Node's confirmed-off annotation; a value that is not a time is reported and ignored. */
    private Optional<Instant> confirmedOff(VoteQuorumPolicy policy, Node node) {
        String value = annotation(node, VoteQuorumApi.CONFIRMED_OFF_ANNOTATION);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(value.trim()));
        } catch (DateTimeParseException e) {
            String message = "Node " + node.getMetadata().getName() + ": " + VoteQuorumApi.CONFIRMED_OFF_ANNOTATION
                    + "='" + value + "' is not an RFC 3339 time such as 2026-01-01T12:00:00Z; it confirms nothing. "
                    + "Set it to the time the node was known to be off";
            if (invalidConfirmations.add(node.getMetadata().getName() + "=" + value)) {
                LOG.warn(message);
                events.warning(policy, "InvalidConfirmation", message);
            }
            return Optional.empty();
        }
    }

    /** What the nodes waiting for proof that they are off need, one sentence each. */
    private static Optional<String> awaiting(FencePlan plan) {
        List<String> waiting = plan.decisions().stream()
                .filter(FencePlan.NodeDecision::active)
                .flatMap(d -> d.awaiting().stream())
                .toList();
        return waiting.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", waiting));
    }

    static Report report(QuorumStatus q, Lease lease, Instant now) {
        QuorumStatusStatus s = q.getStatus();
        boolean fresh = lease != null
                && lease.getSpec() != null
                && LeaseFreshness.fresh(
                        Optional.ofNullable(lease.getSpec().getRenewTime()).map(t -> t.toInstant()),
                        Optional.ofNullable(lease.getSpec().getLeaseDurationSeconds()),
                        now);
        return new Report(
                q.getMetadata().getName(),
                Optional.ofNullable(s.getNodeId()).orElse(0L),
                Optional.ofNullable(s.getQuorate()),
                Optional.ofNullable(s.getRingId()),
                s.getMembers().stream()
                        .filter(m -> m.state() == MemberState.Member)
                        .map(Member::nodeId)
                        .collect(Collectors.toSet()),
                Optional.ofNullable(s.getTotalVotes()).orElse(0),
                Optional.ofNullable(s.getQuorum()).orElse(0),
                fresh,
                votes(s),
                outsideSince(s));
    }

    /** When the reporting agent saw each node outside its partition leave; times it cannot read are left out. */
    static Map<Long, Instant> outsideSince(QuorumStatusStatus s) {
        Map<Long, Instant> outside = new HashMap<>();
        for (Member m : s.getMembers()) {
            if (m.state() != MemberState.Member && m.since() != null) {
                parseTime(m.since()).ifPresent(at -> outside.put(m.nodeId(), at));
            }
        }
        return outside;
    }

    /** What a report says of the whole cluster's votes: every node it lists, the quorum device, the options. */
    static Report.Votes votes(QuorumStatusStatus s) {
        Map<Long, Integer> nodelist = new HashMap<>();
        s.getMembers().forEach(m -> nodelist.merge(m.nodeId(), m.votes(), Math::max));
        if (s.getNodeId() != null && s.getNodeVotes() != null) {
            nodelist.merge(s.getNodeId(), s.getNodeVotes(), Math::max);
        }
        List<QuorumFlag> flags = s.getFlags() == null ? List.of() : s.getFlags();
        Qdevice qdevice = s.getQdevice();
        return new Report.Votes(
                nodelist,
                Optional.ofNullable(s.getExpectedVotes()).orElse(0),
                qdevice == null ? 0 : qdevice.votes(),
                (qdevice != null && qdevice.castVote()) || flags.contains(QuorumFlag.QdeviceCastVote),
                flags.contains(QuorumFlag.AutoTieBreaker),
                flags.contains(QuorumFlag.TwoNode));
    }

    private static VoteQuorumPolicyStatus status(
            VoteQuorumPolicy policy, FencePlan plan, boolean paused, List<Condition> extra, Instant now) {
        VoteQuorumPolicyStatus status = new VoteQuorumPolicyStatus();
        status.setObservedGeneration(policy.getMetadata().getGeneration());
        Long generation = policy.getMetadata().getGeneration();
        List<Condition> desired = new ArrayList<>(extra);
        desired.add(PolicyConditions.quorate(plan.verdict(), generation));
        List<FencedNode> fenced = plan.fenced().stream()
                .map(d -> new FencedNode(
                        d.node(),
                        d.desired().get().stage(),
                        d.desired().get().reason(),
                        d.desired().get().since().toString(),
                        d.desired().get().evidence().orElse(null)))
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

    private static String annotation(HasMetadata resource, String key) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }
}
