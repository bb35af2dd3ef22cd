package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.votequorum.device.LeaseVote;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.fencing.FencingRules;
import io.votequorum.fencing.LeaseFreshness;
import io.votequorum.fencing.NodeFacts;
import io.votequorum.fencing.NodeMapping;
import io.votequorum.fencing.OtherFence;
import io.votequorum.fencing.Report;
import io.votequorum.model.DeviceLease;
import io.votequorum.model.FencingHistory;
import io.votequorum.model.FencingMode;
import io.votequorum.model.FencingSpec;
import io.votequorum.model.KubeDuration;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.Qdevice;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.model.WatchdogStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One policy's cluster at one moment, read once per pass from a {@link ClusterCache}: the reports
 * with their heartbeats, the Nodes that can matter, what is known about each node, and the policy's
 * own validation. What cannot be read (a record, a confirmation) is a problem of its node, kept as
 * data for the status and the Events; it never stops the pass.
 *
 * @param marked   the Nodes whose fence record lives on the Node: the operator has done something to them
 * @param unmapped Nodes that cannot be judged, with the reason: no corosync node, or an unreadable record
 * @param problems what a person should fix, one sentence each (an unparsable confirmation)
 */
record ClusterSnapshot(
        VoteQuorumPolicy policy,
        Instant now,
        String cluster,
        FencingSpec fencing,
        boolean paused,
        List<QuorumStatus> reports,
        Map<String, Lease> heartbeats,
        Map<String, Node> nodes,
        List<NodeFacts> facts,
        Set<String> marked,
        Map<String, String> unmapped,
        List<String> problems,
        PolicyVotes.Validation validation) {

    private static final Logger LOG = Logger.getLogger(ClusterSnapshot.class);

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

    /** The reports as the decision takes them, fresh or not by their heartbeats at {@link #now}. */
    List<Report> decisionReports() {
        // Without a pulse, every Lease may be left from before an outage of the API server: none is fresh.
        boolean pulse = heartbeats.values().stream()
                .anyMatch(l -> l.getSpec() != null
                        && LeaseFreshness.recent(
                                Optional.ofNullable(l.getSpec().getRenewTime()).map(t -> t.toInstant()),
                                Optional.ofNullable(l.getSpec().getLeaseDurationSeconds()),
                                now));
        return reports.stream()
                .map(q -> report(q, pulse ? heartbeats.get(q.getMetadata().getName()) : null, now))
                .toList();
    }

    /** The policy's ladder: paused or invalid does nothing; Disabled only lets healed nodes go. */
    FencingRules rules() {
        return new FencingRules(
                KubeDuration.parse(fencing.getEvictAfter()),
                KubeDuration.parse(fencing.getFenceTimeout()),
                KubeDuration.parse(fencing.getHealthyDelay()),
                fencing.getMaxFencedNodes(),
                paused || !valid(),
                KubeDuration.parse(fencing.getSelfFenceAfter()),
                KubeDuration.parse(fencing.getSafetyMargin()),
                fencing.getMode() != FencingMode.Disabled);
    }

    static ClusterSnapshot read(VoteQuorumPolicy policy, ClusterCache cache, Instant now) {
        FencingSpec fencing = policy.getSpec().getFencing();
        boolean paused = "true".equals(annotation(policy, VoteQuorumApi.PAUSED_ANNOTATION));
        String cluster = policy.getSpec().getClusterName();
        List<QuorumStatus> reports = cache.reportsOf(cluster).stream()
                .filter(q -> q.getStatus() != null)
                .toList();
        Map<String, Lease> heartbeats = new HashMap<>();
        for (QuorumStatus q : reports) {
            cache.heartbeat(q.getMetadata().getName())
                    .ifPresent(l -> heartbeats.put(q.getMetadata().getName(), l));
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
        Set<String> inStatus = policy.getStatus() == null
                ? Set.of()
                : policy.getStatus().getFencedNodes().stream()
                        .map(f -> f.nodeName())
                        .collect(Collectors.toSet());
        Map<String, Node> nodes = candidateNodes(cache, cluster, reportedIds, corosyncNames, inStatus);
        // A Node whose own report names another cluster is that cluster's, whatever its label says.
        NodeMapping.Result mapping = NodeMapping.map(
                cluster,
                nodes.values().stream()
                        .filter(n -> cache.report(n.getMetadata().getName())
                                .flatMap(ClusterSnapshot::clusterOf)
                                .map(cluster::equals)
                                .orElse(true))
                        .map(n -> new NodeMapping.KubeNode(
                                n.getMetadata().getName(), n.getMetadata().getLabels()))
                        .toList(),
                reportedIds,
                corosyncNames);

        Map<String, String> unmapped = new TreeMap<>(mapping.unmapped());
        List<String> problems = new ArrayList<>();
        Map<String, FenceRecords.Readout> records = FenceRecords.read(policy, cluster, nodes.values());
        Map<String, List<OtherFence>> otherFences = otherFences(reports, heartbeats, mapping, now);
        List<NodeFacts> facts = new ArrayList<>();
        Set<String> marked = new HashSet<>();
        for (Node node : nodes.values()) {
            String name = node.getMetadata().getName();
            FenceRecords.Readout readout = records.getOrDefault(name, FenceRecords.Readout.NONE);
            if (readout.problem().isPresent()) {
                // Held back alone: its record says what was done to it, and that cannot be read.
                unmapped.put(
                        name,
                        "its fence record cannot be read, so nothing is done to it: "
                                + readout.problem().get() + "; fix or remove the record");
                continue;
            }
            Optional<FenceRecord> record = readout.record();
            if (mapping.idOf(name).isEmpty() && record.isEmpty()) {
                continue;
            }
            if (FenceRecords.onNode(node, cluster).record().isPresent()) {
                marked.add(name);
            }
            facts.add(new NodeFacts(
                    name,
                    mapping.idOf(name),
                    "true".equals(annotation(node, VoteQuorumApi.PAUSED_ANNOTATION)),
                    record,
                    selfFencing(reportByName.get(name), fencing, bootId(node), heartbeats.get(name)),
                    confirmedOff(node, problems::add),
                    otherFences.getOrDefault(name, List.of()),
                    signOfLife(node, heartbeats.get(name)),
                    bootId(node)));
        }
        PolicyVotes.Validation validation = PolicyVotes.validate(policy, cache.policiesOf(cluster), reports, nodes);
        return new ClusterSnapshot(
                policy,
                now,
                cluster,
                fencing,
                paused,
                reports,
                heartbeats,
                nodes,
                facts,
                marked,
                unmapped,
                problems,
                validation);
    }

    /**
     * The Nodes that can matter to this cluster: those its agents report from, those named or
     * labelled as its corosync nodes, those it fenced, and those its dry run lists. Found through the
     * caches' indexes, so a pass costs the size of the cluster, not of the Kubernetes cluster.
     */
    private static Map<String, Node> candidateNodes(
            ClusterCache cache,
            String cluster,
            Map<String, Long> reportedIds,
            Map<Long, String> corosyncNames,
            Set<String> recorded) {
        Map<String, Node> found = new TreeMap<>();
        Consumer<String> byName = name -> cache.node(name).ifPresent(n -> found.put(name, n));
        reportedIds.keySet().forEach(byName);
        corosyncNames.values().forEach(byName);
        recorded.forEach(byName);
        Set<Long> ids = new HashSet<>(reportedIds.values());
        ids.addAll(corosyncNames.keySet());
        ids.forEach(id ->
                cache.nodesLabelled(id).forEach(n -> found.put(n.getMetadata().getName(), n)));
        cache.nodesFencedBy(cluster).forEach(n -> found.put(n.getMetadata().getName(), n));
        return found;
    }

    /** When the heartbeat stops vouching for the report: its last renewal plus its duration. */
    static Optional<Instant> vouchedUntil(Lease heartbeat) {
        return Optional.ofNullable(heartbeat)
                .map(Lease::getSpec)
                .filter(s -> s.getRenewTime() != null && s.getLeaseDurationSeconds() != null)
                .map(s -> s.getRenewTime().toInstant().plusSeconds(s.getLeaseDurationSeconds()));
    }

    /** The boot the Node's kubelet last reported. */
    static Optional<String> bootId(Node node) {
        return Optional.ofNullable(node.getStatus())
                .map(s -> s.getNodeInfo())
                .map(i -> i.getBootID())
                .filter(b -> !b.isBlank());
    }

    static Optional<String> clusterOf(QuorumStatus q) {
        return Optional.ofNullable(q.getStatus()).map(QuorumStatusStatus::getClusterName);
    }

    /**
     * The latest time the node was seen alive, each by its own clock: its kubelet's last heartbeat in
     * the Node's Ready condition (the node controller keeps it when it marks the node Unknown), its
     * agent's last heartbeat renewal.
     */
    static Optional<Instant> signOfLife(Node node, Lease heartbeat) {
        Optional<Instant> kubelet =
                Optional.ofNullable(node.getStatus()).map(s -> s.getConditions()).orElse(List.of()).stream()
                        .filter(c -> "Ready".equals(c.getType()))
                        .map(NodeCondition::getLastHeartbeatTime)
                        .filter(Objects::nonNull)
                        .map(ClusterSnapshot::parseTime)
                        .flatMap(Optional::stream)
                        .findFirst();
        Optional<Instant> agent = Optional.ofNullable(heartbeat)
                .map(Lease::getSpec)
                .map(s -> s.getRenewTime())
                .map(t -> t.toInstant());
        return kubelet.isEmpty()
                ? agent
                : agent.filter(a -> a.isAfter(kubelet.get())).or(() -> kubelet);
    }

    /**
     * Watchdog-backed self-fencing, as the node's agent last reported it armed; the longer selfFenceAfter
     * wins. Only while the policy asks for self-fencing, and only from a report of the current spec: an
     * agent disarms as soon as it sees self-fencing turned off, before its report can say so. And only
     * from a report of the node's present boot: a node reset by its watchdog comes back unarmed, and
     * its last report, of the boot before, says nothing of it.
     */
    static Optional<NodeFacts.SelfFencing> selfFencing(
            QuorumStatus report, FencingSpec policy, Optional<String> boot, Lease heartbeat) {
        if (report == null
                || (boot.isPresent()
                        && report.getStatus().getBootId() != null
                        && !boot.get().equals(report.getStatus().getBootId()))
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
            return Optional.of(new NodeFacts.SelfFencing(
                    watchdog.device(), after, Duration.ofSeconds(watchdog.timeoutSeconds()), vouchedUntil(heartbeat)));
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
            List<QuorumStatus> reports, Map<String, Lease> heartbeats, NodeMapping.Result mapping, Instant now) {
        Map<Long, String> nodeById = new HashMap<>();
        mapping.corosyncIds().forEach((name, id) -> nodeById.put(id, name));
        Map<String, List<OtherFence>> fences = new HashMap<>();
        for (QuorumStatus q : reports) {
            QuorumStatusStatus s = q.getStatus();
            if (s.getFencingHistory() == null || s.getNodeId() == null) {
                continue;
            }
            String reporter = q.getMetadata().getName();
            boolean fresh = report(q, heartbeats.get(reporter), now).fresh();
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

    /** The time in the Node's confirmed-off annotation; a value that is not a time is a problem, and ignored. */
    private static Optional<Instant> confirmedOff(Node node, Consumer<String> problem) {
        String value = annotation(node, VoteQuorumApi.CONFIRMED_OFF_ANNOTATION);
        if (value == null) {
            return Optional.empty();
        }
        Optional<Instant> at = parseTime(value.trim());
        if (at.isEmpty()) {
            problem.accept("Node " + node.getMetadata().getName() + ": " + VoteQuorumApi.CONFIRMED_OFF_ANNOTATION
                    + "='" + value + "' is not an RFC 3339 time such as 2026-01-01T12:00:00Z; it confirms nothing. "
                    + "Set it to the time the node was known to be off");
        }
        return at;
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

    /**
     * What a report says of the whole cluster's votes: every node it lists, the quorum device (with
     * how long corosync may keep its cast vote, from the timings the agent reads in corosync.conf), the
     * options.
     */
    static Report.Votes votes(QuorumStatusStatus s) {
        Map<Long, Integer> nodelist = new HashMap<>();
        s.getMembers().forEach(m -> nodelist.merge(m.nodeId(), m.votes(), Math::max));
        if (s.getNodeId() != null && s.getNodeVotes() != null) {
            nodelist.merge(s.getNodeId(), s.getNodeVotes(), Math::max);
        }
        List<QuorumFlag> flags = s.getFlags() == null ? List.of() : s.getFlags();
        Qdevice qdevice = s.getQdevice();
        DeviceLease declared = s.getDeviceLease();
        Duration voteLife = Duration.ZERO;
        if (declared != null && declared.model() != null) {
            voteLife = Duration.ofMillis(
                    Optional.ofNullable(declared.timeoutMillis()).orElse(10_000L)
                            + Optional.ofNullable(declared.syncTimeoutMillis()).orElse(30_000L));
        } else if (qdevice != null) {
            voteLife = Report.DEFAULT_DEVICE_VOTE_LIFE;
        }
        return new Report.Votes(
                nodelist,
                Optional.ofNullable(s.getExpectedVotes()).orElse(0),
                qdevice == null ? 0 : qdevice.votes(),
                (qdevice != null && qdevice.castVote()) || flags.contains(QuorumFlag.QdeviceCastVote),
                flags.contains(QuorumFlag.AutoTieBreaker),
                flags.contains(QuorumFlag.TwoNode),
                voteLife,
                // The Lease device runs where a policy runs it: its holder, as this node's agent sees it.
                Optional.ofNullable(declared)
                        .filter(d -> d.lease() != null)
                        .map(d -> new Report.LeaseDevice(
                                d.holder() == null ? OptionalLong.empty() : LeaseVote.holderNode(d.holder()))));
    }

    /** Times read before: the same stamps and renewals come back in every pass. */
    private static final Map<String, Instant> TIMES = new ConcurrentHashMap<>();

    static Optional<Instant> parseTime(String value) {
        if (value == null) {
            return Optional.empty();
        }
        Instant known = TIMES.get(value);
        if (known != null) {
            return Optional.of(known);
        }
        try {
            Instant parsed = Instant.parse(value);
            if (TIMES.size() > 8192) {
                TIMES.clear();
            }
            TIMES.put(value, parsed);
            return Optional.of(parsed);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    static String annotation(HasMetadata resource, String key) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }
}
