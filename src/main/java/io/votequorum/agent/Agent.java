package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import io.votequorum.agent.AgentLoop.Input;
import io.votequorum.agent.AgentStatus.ApplyOutcome;
import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.CorosyncException;
import io.votequorum.corosync.QuorumReader;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.RingId;
import io.votequorum.corosync.Votequorum;
import io.votequorum.device.LeaseVote;
import io.votequorum.model.KubeDuration;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.WatchdogStatus;
import io.votequorum.pacemaker.FenceEvent;
import io.votequorum.pacemaker.FenceHistory;
import io.votequorum.pacemaker.PacemakerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The agent on one node, wired: corosync's view in, this node's QuorumStatus status and heartbeat
 * Lease out, and the spec's votes applied to corosync. {@link AgentLoop} owns the state on its one
 * thread; this class is what the loop asks of the world. Threads: the loop; corosync's session
 * (every call into corosync); the watchdog's feeder; the status writer and the heartbeat; one for
 * API reads (the node's name, its label, the status to resume from); one for the self-fence action;
 * and the timers, which only queue inputs.
 */
final class Agent implements AgentLoop.Outside, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Agent.class);
    /** How long a clean stop waits for the API server to take the disarmed watchdog report. */
    private static final Duration STOP_REPORT = Duration.ofSeconds(3);

    private static final Duration HISTORY_TIMEOUT = Duration.ofSeconds(5);

    private final AgentConfig config;
    private final KubernetesClient client;
    private final AgentMetrics metrics;
    private final SelfFenceAction selfFenceAction;
    private final Watchdog watchdog;
    private final CorosyncSession corosync;
    private final AgentLoop loop;
    private final DeviceWorld device;
    private final Thread loopThread;
    private final ScheduledExecutorService timers = daemon(Executors::newSingleThreadScheduledExecutor, "agent-timers");
    private final ExecutorService kubernetes = daemon(Executors::newSingleThreadExecutor, "agent-api-reads");
    private final ExecutorService fencer = daemon(Executors::newSingleThreadExecutor, "self-fence");
    private final ExecutorService pacemaker = daemon(Executors::newSingleThreadExecutor, "fencing-history");
    private volatile String pacemakerAbsence;

    // Set once (on the API-reads thread, or the starting thread with NODE_NAME) before the loop hears the name.
    private volatile StatusPublisher publisher;
    private volatile Heartbeat heartbeat;
    private volatile SharedIndexInformer<QuorumStatus> specInformer;

    /** The wall clock: what the agent reports and writes, and compares with other nodes' times. */
    private final Clock clock = Clock.systemUTC();
    /**
     * The local clock: wall time at the agent's start plus the monotonic time since, so a clock step on
     * the node moves none of the durations measured on it (the watchdog's feed, the quorum device's).
     */
    private final Clock local = new Watchdog.Monotonic();

    Agent(AgentConfig config, KubernetesClient client, MeterRegistry registry) {
        this.config = config;
        this.client = client;
        this.metrics = new AgentMetrics(registry);
        this.selfFenceAction = SelfFenceAction.configured("votequorum.agent.self-fence-command");
        this.loop = new AgentLoop(
                this,
                clock,
                local,
                this::schedule,
                config.selfFenceTimeout(),
                new Backoff(config.retryMin().multipliedBy(5), config.retryMax().multipliedBy(6)),
                new Backoff(config.retryMin(), config.retryMax()),
                config.nodeName().filter(n -> !n.isBlank()).isPresent(),
                bootId());
        this.loopThread = new Thread(loop::run, "agent-loop");
        this.loopThread.setDaemon(true);
        this.watchdog = new Watchdog(
                config.watchdogDevice(),
                config.watchdogTimeout(),
                local,
                () -> loop.post(new AgentLoop.WatchdogChanged()),
                this::wakeCorosync);
        this.corosync = new CorosyncSession(
                config.coalesce(),
                new Backoff(config.retryMin(), config.retryMax()),
                (view, since) -> loop.post(new AgentLoop.Viewed(view, since)),
                watchdog);
        this.device = new DeviceWorld(client, config.namespace(), corosync, loop::post, clock, local);
    }

    /** This boot of the node, as the kernel names it (and the kubelet reports it); empty where it cannot be read. */
    static Optional<String> bootId() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/sys/kernel/random/boot_id"))
                            .trim())
                    .filter(id -> !id.isEmpty());
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot read this boot's id (%s); reports name no boot", e.getMessage());
            return Optional.empty();
        }
    }

    void start() {
        AgentLoop.warmUp();
        LOG.infof("when a policy turns self-fencing on, this node fences itself by %s", selfFenceAction.describe());
        loopThread.start();
        // With NODE_NAME, the writer is ready (and the client warm) before corosync's first view.
        config.nodeName().filter(n -> !n.isBlank()).ifPresent(this::startKubernetesSide);
        watchdog.start();
        corosync.start();
    }

    private void wakeCorosync() {
        corosync.wake();
    }

    private AgentLoop.Timer schedule(Duration delay, Input input) {
        ScheduledFuture<?> future = timers.schedule(() -> loop.post(input), delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    /** Whether corosync answers and the API server took the last writes: the readiness check. */
    boolean ready() {
        return corosyncReachable() && apiReachable();
    }

    boolean corosyncReachable() {
        return loop.corosyncReachable();
    }

    boolean apiReachable() {
        StatusPublisher p = publisher;
        Heartbeat h = heartbeat;
        return p != null && h != null && p.apiReachable() && h.apiReachable();
    }

    // --- what the loop asks for

    @Override
    public void name(QuorumSnapshot snapshot) {
        kubernetes.execute(() -> mappedNodeName(snapshot)
                .ifPresentOrElse(this::startKubernetesSide, () -> loop.post(new AgentLoop.Unnamed())));
    }

    @Override
    public void checkNodeLabel(String nodeName, long localNodeId) {
        kubernetes.execute(() -> {
            try {
                Node node = client.nodes().withName(nodeName).get();
                String labelled = node == null || node.getMetadata().getLabels() == null
                        ? null
                        : node.getMetadata().getLabels().get(VoteQuorumApi.NODE_ID_LABEL);
                if (labelled != null && !labelled.equals(String.valueOf(localNodeId))) {
                    LOG.errorf(
                            "Node %s carries %s=%s but this is corosync node %d: fix the label or NODE_NAME",
                            nodeName, VoteQuorumApi.NODE_ID_LABEL, labelled, localNodeId);
                }
            } catch (KubernetesClientException e) {
                LOG.debugf("cannot read Node %s: %s", nodeName, e.getMessage());
            }
        });
    }

    @Override
    public void publish(QuorumStatusStatus status, Instant since) {
        publisher.offer(status, since);
    }

    @Override
    public void applyVotes(VotePlan.Apply apply) {
        corosync.submit(reader -> {
            ApplyOutcome result = reader.map(r -> carryOut(r.votequorum(), apply))
                    .orElseGet(() -> VotePlan.refused(
                            apply.desired(), "CS_ERR_TRY_AGAIN", "corosync refused: corosync is not connected"));
            reader.flatMap(Agent::freshSnapshot)
                    .ifPresent(s -> loop.post(new AgentLoop.Viewed(new CorosyncView.Reachable(s), clock.instant())));
            loop.post(new AgentLoop.VotesTried(result));
        });
    }

    @Override
    public void selfFence(QuorumStatusStatus promise, SelfFence.Fencing fencing) {
        fencer.execute(() -> {
            try {
                // The operator trusts the deadline only if it sees it; a node that cannot tell it fences anyway.
                if (promise == null
                        || !publisher.awaitWritten(
                                promise, config.selfFenceTimeout().dividedBy(2))) {
                    LOG.warn("the API server has not acknowledged the self-fence deadline; fencing anyway");
                }
                selfFenceAction.fence(config.selfFenceTimeout().dividedBy(2));
                LOG.errorf("fenced this node (%s)", fencing.action());
            } catch (IOException | RuntimeException e) {
                loop.post(new AgentLoop.SelfFenceFailed(e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Override
    public void selfFenceAfter(Optional<Duration> after) {
        watchdog.selfFenceAfter(after);
    }

    @Override
    public Optional<WatchdogStatus> watchdogReport() {
        return watchdog.report();
    }

    @Override
    public String selfFenceAction() {
        return selfFenceAction.describe();
    }

    @Override
    public void metrics(QuorumStatusStatus status) {
        metrics.update(status);
    }

    @Override
    public void followLease(Optional<String> name) {
        device.followLease(name);
    }

    @Override
    public void writeLease(String name, Duration duration, LeaseVote.Write write) {
        device.writeLease(name, duration, write);
    }

    @Override
    public void pollDevice(boolean cast, Optional<Instant> castUntil, RingId ring) {
        device.pollDevice(cast, castUntil, ring);
    }

    @Override
    public void stopDevice() {
        device.stopDevice();
    }

    @Override
    public void readFencingHistory() {
        if (config.fencingHistory() == AgentConfig.FencingHistorySource.none) {
            loop.post(new AgentLoop.HistoryRead(new FencingHistoryWatch.Read(List.of(), Optional.empty(), true)));
            return;
        }
        pacemaker.execute(() -> loop.post(new AgentLoop.HistoryRead(readPacemakerHistory())));
    }

    /** One read of Pacemaker's fencing history; where Pacemaker is not, one log line says so. */
    private FencingHistoryWatch.Read readPacemakerHistory() {
        try {
            List<FenceEvent> events = FenceHistory.read("votequorum-agent", HISTORY_TIMEOUT);
            if (pacemakerAbsence != null) {
                LOG.info("Pacemaker's fencer answers; its fencing history counts as proof that a node is off");
                pacemakerAbsence = null;
            }
            return new FencingHistoryWatch.Read(events, Optional.empty(), false);
        } catch (PacemakerException e) {
            if (e.absent() && !e.getMessage().equals(pacemakerAbsence)) {
                LOG.infof("no Pacemaker fencing history on this node: %s", e.getMessage());
                pacemakerAbsence = e.getMessage();
            } else if (!e.absent()) {
                LOG.warn(e.getMessage());
            }
            return new FencingHistoryWatch.Read(List.of(), Optional.of(e.getMessage()), e.absent());
        } catch (RuntimeException e) {
            LOG.warn("reading Pacemaker's fencing history failed", e);
            return new FencingHistoryWatch.Read(
                    List.of(), Optional.of("reading Pacemaker's fencing history failed: " + e), false);
        }
    }

    // --- the API-reads thread (the starting thread with NODE_NAME)

    /** Once the node's name is known, the Kubernetes side starts: status writer, heartbeat, spec watch. */
    private void startKubernetesSide(String name) {
        LOG.infof("agent for Kubernetes node %s; heartbeat Lease %s/%s", name, config.namespace(), name);
        StatusPublisher p = new StatusPublisher(
                client,
                name,
                new Backoff(config.retryMin(), config.retryMax()),
                metrics,
                written -> watchdog.acknowledged(reportedSelfFenceAfter(written)),
                clock);
        Optional<QuorumStatusStatus> resumed = resumeFromTheApiServer(name);
        resumed.ifPresent(p::assumeWritten);
        publisher = p;
        heartbeat = new Heartbeat(
                client,
                name,
                config.namespace(),
                config.leaseDuration(),
                config.renewInterval(),
                metrics,
                () -> p.pendingSince(),
                () -> !p.apiReachable(),
                clock);
        p.start();
        heartbeat.start();
        loop.post(new AgentLoop.Named(name, resumed));
        SharedIndexInformer<QuorumStatus> informer =
                client.resources(QuorumStatus.class).withName(name).runnableInformer(0);
        informer.exceptionHandler((started, failure) -> true); // keep watching through API outages
        informer.addEventHandler(new ResourceEventHandler<>() {
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
                p.assumeWritten(null);
                loop.post(new AgentLoop.StatusDeleted());
            }
        });
        specInformer = informer;
        informer.start();
    }

    private void onSpec(QuorumStatus qs) {
        loop.post(new AgentLoop.SpecSeen(
                qs.getMetadata().getName(), qs.getSpec(), qs.getMetadata().getGeneration()));
    }

    /**
     * Without NODE_NAME: the Node labelled {@value VoteQuorumApi#NODE_ID_LABEL} with this corosync
     * node id, else the Node named as the corosync node. Empty while the API server cannot answer,
     * so a guess never picks the wrong node.
     */
    private Optional<String> mappedNodeName(QuorumSnapshot snapshot) {
        long nodeId = snapshot.config().localNodeId();
        try {
            List<String> labelled =
                    client
                            .nodes()
                            .withLabel(VoteQuorumApi.NODE_ID_LABEL, String.valueOf(nodeId))
                            .list()
                            .getItems()
                            .stream()
                            .map(n -> n.getMetadata().getName())
                            .toList();
            if (labelled.size() == 1) {
                return Optional.of(labelled.get(0));
            }
            if (labelled.size() > 1) {
                LOG.errorf(
                        "Nodes %s all carry %s=%d; label exactly one, or set NODE_NAME",
                        labelled, VoteQuorumApi.NODE_ID_LABEL, nodeId);
                return Optional.empty();
            }
            return Optional.of(StatusReport.defaultNodeName(snapshot));
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot map corosync node %d to a Kubernetes node yet: %s", nodeId, e.getMessage());
            return Optional.empty();
        }
    }

    /** After a restart, carry on from what the API server shows: transition times and applied votes. */
    private Optional<QuorumStatusStatus> resumeFromTheApiServer(String name) {
        try {
            QuorumStatus existing =
                    client.resources(QuorumStatus.class).withName(name).get();
            return existing == null ? Optional.empty() : Optional.ofNullable(existing.getStatus());
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot read QuorumStatus %s yet: %s", name, e.getMessage());
            return Optional.empty();
        }
    }

    /** The selfFenceAfter of a status the API server took: the longest the operator may assume. */
    static Optional<Duration> reportedSelfFenceAfter(QuorumStatusStatus status) {
        if (status == null
                || status.getWatchdog() == null
                || status.getWatchdog().selfFenceAfter() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(KubeDuration.parse(status.getWatchdog().selfFenceAfter()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    // --- corosync's session thread

    /** setvotes for this node and setexpected, as the plan says; then corosync's own figures decide. */
    private static ApplyOutcome carryOut(Votequorum votequorum, VotePlan.Apply apply) {
        try {
            apply.votes().ifPresent(votes -> votequorum.setVotes(apply.localNodeId(), votes));
            apply.expectedVotes().ifPresent(votequorum::setExpected);
            return VotePlan.applied(apply.desired());
        } catch (CorosyncException e) {
            return VotePlan.refused(apply.desired(), e.error().name(), "corosync refused: " + e.getMessage());
        } catch (IllegalArgumentException | IllegalStateException e) {
            return VotePlan.refused(apply.desired(), "Invalid", e.getMessage());
        }
    }

    /** setvotes and a device's vote are not announced by a callback: the view after them. */
    static Optional<QuorumSnapshot> freshSnapshot(QuorumReader reader) {
        try {
            return Optional.of(reader.snapshot());
        } catch (RuntimeException e) {
            LOG.debugf("no fresh snapshot after a call into corosync: %s", e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * A clean stop disarms the watchdog (magic close) only while the node is quorate and the API
     * server has taken the report saying so; otherwise the device keeps counting, as after a crash.
     */
    @Override
    public void close() {
        boolean disarm = false;
        if (watchdog.beginStop()) {
            CompletableFuture<QuorumStatusStatus> farewell = new CompletableFuture<>();
            loop.post(new AgentLoop.Farewell(farewell));
            try {
                QuorumStatusStatus last = farewell.get(STOP_REPORT.toMillis(), TimeUnit.MILLISECONDS);
                StatusPublisher p = publisher;
                disarm = p != null && last != null && p.awaitWritten(last, STOP_REPORT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warnf("the agent's loop gave no last status: %s", e.toString());
            }
            if (!disarm) {
                LOG.warnf(
                        "the API server has not taken the disarmed watchdog report; closing %s without the magic "
                                + "close, so it resets this node unless an agent feeds it again in time",
                        config.watchdogDevice());
            }
        }
        watchdog.stop(disarm);
        device.close();
        corosync.close();
        loopThread.interrupt();
        timers.shutdownNow();
        kubernetes.shutdownNow();
        fencer.shutdownNow();
        pacemaker.shutdownNow();
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

    private static <T extends ExecutorService> T daemon(Function<ThreadFactory, T> make, String name) {
        return make.apply(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }
}
