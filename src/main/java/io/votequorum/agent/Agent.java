package io.votequorum.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import io.votequorum.agent.AgentStatus.ApplyOutcome;
import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.CorosyncException;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.model.KubeDuration;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusSpec;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.VoteQuorumApi;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The agent on one node: corosync's view in, this node's QuorumStatus status and heartbeat Lease
 * out, and the spec's votes applied to corosync. Every input recomputes the whole status.
 */
final class Agent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Agent.class);
    /** How long a clean stop waits for the API server to take the disarmed watchdog report. */
    private static final Duration STOP_REPORT = Duration.ofSeconds(3);

    private final AgentConfig config;
    private final KubernetesClient client;
    private final AgentMetrics metrics;
    private final CorosyncSession corosync;
    private final ScheduledExecutorService applier = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vote-applier");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService selfFencer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "self-fence");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService watchdogReports = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "watchdog-report");
        t.setDaemon(true);
        return t;
    });
    private final SelfFenceAction selfFenceAction;
    private final Backoff applyBackoff;
    private final Watchdog watchdog;

    // Guarded by this.
    private String nodeName;
    private CorosyncView view = new CorosyncView.Unreachable("connecting to corosync");
    private VotePlan.Desired desired = new VotePlan.Desired(Optional.empty(), Optional.empty(), null);
    private ApplyOutcome outcome = ApplyOutcome.nothingRequested(null);
    private QuorumStatusStatus reported;
    private boolean applying;
    private Instant applyNotBefore = Instant.MIN;
    private StatusPublisher publisher;
    private Heartbeat heartbeat;
    private SharedIndexInformer<QuorumStatus> specInformer;
    private Optional<Duration> selfFenceAfter = Optional.empty();
    private SelfFence selfFence = new SelfFence.Disarmed();
    private ScheduledFuture<?> selfFenceTimer;

    Agent(AgentConfig config, KubernetesClient client, MeterRegistry registry) {
        this.config = config;
        this.client = client;
        this.metrics = new AgentMetrics(registry);
        this.selfFenceAction = SelfFenceAction.configured("votequorum.agent.self-fence-command");
        this.applyBackoff = new Backoff(config.retryMin().multipliedBy(5), config.retryMax().multipliedBy(6));
        // The watchdog's report changes on its feeder thread, which must never wait for the agent's lock.
        this.watchdog = new Watchdog(config.watchdogDevice(), config.watchdogTimeout(), new Watchdog.Monotonic(),
                () -> watchdogReports.execute(this::onRetry), this::wakeCorosync);
        this.corosync = new CorosyncSession(config.coalesce(), new Backoff(config.retryMin(), config.retryMax()),
                this::onView, watchdog);
    }

    void start() {
        LOG.infof("when a policy turns self-fencing on, this node fences itself by %s", selfFenceAction.describe());
        config.nodeName().filter(n -> !n.isBlank()).ifPresent(this::name);
        watchdog.start();
        corosync.start();
    }

    private void wakeCorosync() {
        corosync.wake();
    }

    /** The selfFenceAfter of a status the API server took: the longest the operator may assume. */
    private static Optional<Duration> reportedSelfFenceAfter(QuorumStatusStatus status) {
        if (status == null || status.getWatchdog() == null || status.getWatchdog().selfFenceAfter() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(KubeDuration.parse(status.getWatchdog().selfFenceAfter()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Whether corosync answers and the API server took the last writes: the readiness check. */
    synchronized boolean ready() {
        return view instanceof CorosyncView.Reachable && publisher != null && publisher.apiReachable()
                && heartbeat.apiReachable();
    }

    synchronized boolean corosyncReachable() {
        return view instanceof CorosyncView.Reachable;
    }

    synchronized boolean apiReachable() {
        return publisher != null && publisher.apiReachable() && heartbeat.apiReachable();
    }

    private void onView(CorosyncView next, Instant since) {
        if (next instanceof CorosyncView.Reachable reachable && nodeName == null) {
            mappedNodeName(reachable.snapshot()).ifPresent(this::name);
        }
        synchronized (this) {
            boolean firstContact = !(view instanceof CorosyncView.Reachable) && next instanceof CorosyncView.Reachable;
            view = next;
            if (firstContact && nodeName != null && config.nodeName().isPresent()) {
                checkNodeLabel(((CorosyncView.Reachable) next).snapshot().config().localNodeId());
            }
            recompute(since);
        }
    }

    /** Once the node's name is known, the Kubernetes side starts: status writer, heartbeat, spec watch. */
    private synchronized void name(String name) {
        if (nodeName != null) {
            return;
        }
        nodeName = name;
        LOG.infof("agent for Kubernetes node %s; heartbeat Lease %s/%s", name, config.namespace(), name);
        publisher = new StatusPublisher(client, name, new Backoff(config.retryMin(), config.retryMax()), metrics,
                written -> watchdog.acknowledged(reportedSelfFenceAfter(written)));
        heartbeat = new Heartbeat(client, name, config.namespace(), config.leaseDuration(), config.renewInterval(),
                metrics);
        resumeFromTheApiServer();
        publisher.start();
        heartbeat.start();
        specInformer = client.resources(QuorumStatus.class).withName(name).runnableInformer(0);
        specInformer.exceptionHandler((started, failure) -> true); // keep watching through API outages
        specInformer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(QuorumStatus qs) {
                onSpec(qs);
            }

            @Override
            public void onUpdate(QuorumStatus old, QuorumStatus qs) {
                onSpec(qs);
            }

            @Override
            public void onDelete(QuorumStatus qs, boolean unknownFinalState) {
                LOG.warnf("QuorumStatus %s was deleted; writing it again", qs.getMetadata().getName());
                synchronized (Agent.this) {
                    publisher.assumeWritten(null);
                    reported = null;
                    recompute(Instant.now());
                }
            }
        });
        specInformer.start();
    }

    /**
     * Without NODE_NAME: the Node labelled {@value VoteQuorumApi#NODE_ID_LABEL} with this corosync
     * node id, else the Node named as the corosync node. Empty while the API server cannot answer,
     * so a guess never picks the wrong node.
     */
    private Optional<String> mappedNodeName(QuorumSnapshot snapshot) {
        long nodeId = snapshot.config().localNodeId();
        try {
            List<String> labelled = client.nodes().withLabel(VoteQuorumApi.NODE_ID_LABEL, String.valueOf(nodeId))
                    .list().getItems().stream().map(n -> n.getMetadata().getName()).toList();
            if (labelled.size() == 1) {
                return Optional.of(labelled.get(0));
            }
            if (labelled.size() > 1) {
                LOG.errorf("Nodes %s all carry %s=%d; label exactly one, or set NODE_NAME", labelled,
                        VoteQuorumApi.NODE_ID_LABEL, nodeId);
                return Optional.empty();
            }
            return Optional.of(StatusReport.defaultNodeName(snapshot));
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot map corosync node %d to a Kubernetes node yet: %s", nodeId, e.getMessage());
            return Optional.empty();
        }
    }

    /** With NODE_NAME set, a Node label that names another corosync node id is a mapping error. */
    private void checkNodeLabel(long localNodeId) {
        try {
            io.fabric8.kubernetes.api.model.Node node = client.nodes().withName(nodeName).get();
            String labelled = node == null || node.getMetadata().getLabels() == null ? null
                    : node.getMetadata().getLabels().get(VoteQuorumApi.NODE_ID_LABEL);
            if (labelled != null && !labelled.equals(String.valueOf(localNodeId))) {
                LOG.errorf("Node %s carries %s=%s but this is corosync node %d: fix the label or NODE_NAME",
                        nodeName, VoteQuorumApi.NODE_ID_LABEL, labelled, localNodeId);
            }
        } catch (KubernetesClientException e) {
            LOG.debugf("cannot read Node %s: %s", nodeName, e.getMessage());
        }
    }

    /** After a restart, carry on from what the API server shows: transition times and applied votes. */
    private void resumeFromTheApiServer() {
        try {
            QuorumStatus existing = client.resources(QuorumStatus.class).withName(nodeName).get();
            if (existing != null && existing.getStatus() != null) {
                reported = existing.getStatus();
                publisher.assumeWritten(existing.getStatus());
            }
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot read QuorumStatus %s yet: %s", nodeName, e.getMessage());
        }
    }

    private void onSpec(QuorumStatus qs) {
        QuorumStatusSpec spec = qs.getSpec() == null ? new QuorumStatusSpec() : qs.getSpec();
        VotePlan.Desired next = new VotePlan.Desired(Optional.ofNullable(spec.getVotes()),
                Optional.ofNullable(spec.getExpectedVotes()), qs.getMetadata().getGeneration());
        Optional<Duration> after = Optional.empty();
        if (spec.getSelfFenceAfter() != null) {
            try {
                after = Optional.of(KubeDuration.parse(spec.getSelfFenceAfter()));
            } catch (IllegalArgumentException e) {
                LOG.errorf("QuorumStatus %s spec.selfFenceAfter: %s; self-fencing stays off until it is fixed",
                        qs.getMetadata().getName(), e.getMessage());
            }
        }
        synchronized (this) {
            if (!next.equals(desired)) {
                desired = next;
                applyNotBefore = Instant.MIN;
                applyBackoff.reset();
            }
            if (!after.equals(selfFenceAfter)) {
                LOG.infof(after.map(a -> "self-fencing armed: this node fences itself (" + selfFenceAction.describe()
                        + ") after " + a.toMillis() + " ms without quorum, backed by the watchdog "
                        + config.watchdogDevice()).orElse("self-fencing off"));
                selfFenceAfter = after;
            }
            watchdog.selfFenceAfter(after);
            recompute(Instant.now());
        }
    }

    /** Keeps the self-fence state in step with quorum, and the timer in step with the state. */
    private void trackSelfFence(Optional<QuorumSnapshot> snapshot, Instant now) {
        SelfFence next = SelfFence.next(selfFence, selfFenceAfter, snapshot.map(QuorumSnapshot::quorate), now);
        if (next.equals(selfFence)) {
            return;
        }
        if (selfFence instanceof SelfFence.WithoutQuorum && next instanceof SelfFence.Armed) {
            LOG.info("quorum is back before the self-fence time; not fencing");
        }
        selfFence = next;
        if (selfFenceTimer != null) {
            selfFenceTimer.cancel(false);
            selfFenceTimer = null;
        }
        if (next instanceof SelfFence.WithoutQuorum w) {
            LOG.warnf("without quorum: this node fences itself at %s unless quorum returns", w.fencesAt());
            selfFenceTimer = selfFencer.schedule(this::onSelfFenceDue,
                    Math.max(0, Duration.between(now, w.fencesAt()).toMillis()), TimeUnit.MILLISECONDS);
        }
    }

    /** The point of no return: report the deadline, give the write a moment to land, then fence. */
    private void onSelfFenceDue() {
        QuorumStatusStatus promise;
        SelfFence.Fencing fencing;
        synchronized (this) {
            SelfFence before = selfFence;
            Optional<SelfFence> due = SelfFence.due(selfFence, Instant.now(), config.selfFenceTimeout(),
                    selfFenceAction.describe());
            if (due.isEmpty()) {
                return;
            }
            fencing = (SelfFence.Fencing) due.get();
            selfFence = fencing;
            LOG.errorf("without quorum since %s: fencing this node (%s); it is down by %s",
                    ((SelfFence.WithoutQuorum) before).since(), fencing.action(), fencing.downBy());
            recompute(Instant.now());
            promise = reported;
        }
        try {
            // The operator trusts the deadline only if it sees it; a node that cannot tell it fences anyway.
            if (!publisher.awaitWritten(promise, config.selfFenceTimeout().dividedBy(2))) {
                LOG.warn("the API server has not acknowledged the self-fence deadline; fencing anyway");
            }
            selfFenceAction.fence(config.selfFenceTimeout().dividedBy(2));
            LOG.errorf("fenced this node (%s)", fencing.action());
        } catch (IOException | RuntimeException e) {
            LOG.errorf("self-fence failed: %s", e.getMessage());
            synchronized (this) {
                selfFence = new SelfFence.Failed("self-fence failed: " + e.getMessage());
                recompute(Instant.now());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Recomputes the whole status from the inputs and hands it to the writer if it changed. */
    private void recompute(Instant since) {
        if (nodeName == null) {
            return;
        }
        Optional<QuorumSnapshot> snapshot = view instanceof CorosyncView.Reachable r
                ? Optional.of(r.snapshot()) : Optional.empty();
        trackSelfFence(snapshot, Instant.now());
        VotePlan plan = VotePlan.decide(desired, snapshot);
        if (plan instanceof VotePlan.Settled settled) {
            outcome = settled.outcome();
        } else if (plan instanceof VotePlan.Wait wait) {
            outcome = wait.outcome();
        } else if (plan instanceof VotePlan.Apply apply && !applying) {
            Instant now = Instant.now();
            if (now.isBefore(applyNotBefore)) {
                applier.schedule(() -> onRetry(), java.time.Duration.between(now, applyNotBefore).toMillis(),
                        TimeUnit.MILLISECONDS);
            } else {
                applying = true;
                applier.execute(() -> carryOut(apply));
            }
        }
        QuorumStatusStatus next = AgentStatus.compose(nodeName, view, outcome, selfFence, watchdog.report(), reported,
                Instant.now());
        if (!next.equals(reported)) {
            logTransition(reported, next, since);
            reported = next;
            metrics.update(next);
            publisher.offer(next, since);
        }
    }

    private void onRetry() {
        synchronized (this) {
            recompute(Instant.now());
        }
    }

    /** setvotes for this node and setexpected, as the plan says; then corosync's own figures decide. */
    private void carryOut(VotePlan.Apply apply) {
        ApplyOutcome result;
        try {
            corosync.withVotequorum(votequorum -> {
                apply.votes().ifPresent(votes -> votequorum.setVotes(apply.localNodeId(), votes));
                apply.expectedVotes().ifPresent(votequorum::setExpected);
                return true;
            }).orElseThrow(() -> new CorosyncException("votequorum_setvotes", 2, "corosync is not connected"));
            LOG.infof("applied %s%s (generation %s)", apply.votes().map(v -> "votes=" + v + " ").orElse(""),
                    apply.expectedVotes().map(e -> "expectedVotes=" + e).orElse(""), apply.desired().generation());
            result = VotePlan.applied(apply.desired());
            applyBackoff.reset();
        } catch (CorosyncException e) {
            result = VotePlan.refused(apply.desired(), e.error().name(), "corosync refused: " + e.getMessage());
        } catch (IllegalArgumentException | IllegalStateException e) {
            result = VotePlan.refused(apply.desired(), "Invalid", e.getMessage());
        }
        Optional<QuorumSnapshot> fresh = Optional.empty();
        try {
            fresh = corosync.snapshotNow(); // setvotes is not announced by a callback
        } catch (RuntimeException e) {
            LOG.debugf("no fresh snapshot after applying votes: %s", e.getMessage());
        }
        synchronized (this) {
            applying = false;
            if (!"Applied".equals(result.reason())) {
                Duration pause = applyBackoff.next();
                applyNotBefore = Instant.now().plus(pause);
                LOG.warnf("%s; retrying in %d ms", result.message(), pause.toMillis());
            }
            outcome = result;
            if (fresh.isPresent()) {
                view = new CorosyncView.Reachable(fresh.get());
            }
            recompute(Instant.now());
        }
    }

    /** One structured log line per change of quorum, ring or membership. */
    private static void logTransition(QuorumStatusStatus before, QuorumStatusStatus after, Instant callback) {
        if (before != null && Objects.equals(before.getQuorate(), after.getQuorate())
                && Objects.equals(before.getRingId(), after.getRingId())
                && Objects.equals(before.getMembers(), after.getMembers())
                && Objects.equals(before.getExpectedVotes(), after.getExpectedVotes())
                && Objects.equals(before.getNodeVotes(), after.getNodeVotes())) {
            return;
        }
        LOG.infof("transition node=%s quorate=%s ring=%s members=%s votes=%s expected=%s total=%s quorum=%s "
                        + "callback=%s",
                after.getNodeName(), after.getQuorate() == null ? "unknown" : after.getQuorate(),
                after.getRingId() == null ? "-" : after.getRingId(),
                after.getMembers().stream().filter(m -> m.state() == io.votequorum.model.MemberState.Member)
                        .map(m -> String.valueOf(m.nodeId())).collect(Collectors.joining(",")),
                after.getNodeVotes(), after.getExpectedVotes(), after.getTotalVotes(), after.getQuorum(), callback);
    }

    /**
     * A clean stop disarms the watchdog (magic close) only while the node is quorate and the API
     * server has taken the report saying so; otherwise the device keeps counting, as after a crash.
     */
    @Override
    public void close() {
        boolean disarm = false;
        if (watchdog.beginStop()) {
            QuorumStatusStatus farewell;
            synchronized (this) {
                recompute(Instant.now());
                farewell = reported;
            }
            try {
                disarm = publisher != null && farewell != null && publisher.awaitWritten(farewell, STOP_REPORT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!disarm) {
                LOG.warnf("the API server has not taken the disarmed watchdog report; closing %s without the magic "
                        + "close, so it resets this node unless an agent feeds it again in time", config.watchdogDevice());
            }
        }
        watchdog.stop(disarm);
        watchdogReports.shutdownNow();
        corosync.close();
        applier.shutdownNow();
        selfFencer.shutdownNow();
        synchronized (this) {
            if (specInformer != null) {
                specInformer.stop();
            }
            if (heartbeat != null) {
                heartbeat.close();
            }
            if (publisher != null) {
                publisher.close();
            }
        }
    }
}
