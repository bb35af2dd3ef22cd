package io.votequorum.agent;

import io.votequorum.agent.AgentStatus.ApplyOutcome;
import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.device.LeaseVote;
import io.votequorum.model.AppliedVotes;
import io.votequorum.model.Conditions;
import io.votequorum.model.DeviceLease;
import io.votequorum.model.KubeDuration;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.Qdevice;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatusSpec;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.RingId;
import io.votequorum.model.Serialised;
import io.votequorum.model.WatchdogState;
import io.votequorum.model.WatchdogStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The agent's state and what it does about each input. One thread owns it all: the loop's, which
 * takes every input from one queue. Corosync views, spec changes, results of applying votes and of
 * self-fencing, and timers arrive there as {@link Input}s; everything slow (the API server, corosync
 * calls, the fence action) happens outside, through {@link Outside}, and reports back as an input.
 * All inputs waiting in the queue are taken together and give one status.
 */
final class AgentLoop {

    private static final Logger LOG = Logger.getLogger(AgentLoop.class);

    /** What reaches the loop. */
    sealed interface Input {}

    /** The Kubernetes side is up for node {@code nodeName}; {@code resumed} is the status the API server had. */
    record Named(String nodeName, Optional<QuorumStatusStatus> resumed) implements Input {}

    /** The node's name could not be found yet. */
    record Unnamed() implements Input {}

    /** Corosync's view changed; {@code since} is the first callback behind it. */
    record Viewed(CorosyncView view, Instant since) implements Input {}

    /** The QuorumStatus spec as the API server has it. */
    record SpecSeen(String name, QuorumStatusSpec spec, Long generation) implements Input {}

    /** Someone deleted this node's QuorumStatus. */
    record StatusDeleted() implements Input {}

    /** The votes were applied, or corosync refused them. */
    record VotesTried(ApplyOutcome result) implements Input {}

    /** A timer: the pause after a refused vote change is over. */
    record RetryDue() implements Input {}

    /** A timer: try again to find the node's name. */
    record NamingDue() implements Input {}

    /** A timer: the time without quorum is up. */
    record SelfFenceDue() implements Input {}

    /** The self-fence action failed. */
    record SelfFenceFailed(String message) implements Input {}

    /** The watchdog's report changed. */
    record WatchdogChanged() implements Input {}

    /** The quorum device's Lease as this node now sees it (empty: it does not exist). */
    record LeaseSeen(Optional<LeaseVote.Seen> lease) implements Input {}

    /** A write of the quorum device's Lease: the Lease as written, or the error. */
    record LeaseWritten(LeaseVote.Write write, Optional<LeaseVote.Seen> result, Optional<String> error)
            implements Input {}

    /** The quorum device was polled, casting its vote or not, or corosync refused the poll. */
    record DevicePolled(boolean cast, Optional<String> error) implements Input {}

    /** A timer: the quorum device is due a poll. */
    record DeviceDue() implements Input {}

    /** Pacemaker's fencing history was read, or could not be. */
    record HistoryRead(FencingHistoryWatch.Read read) implements Input {}

    /** A timer: the fencing history is due another read. */
    record HistoryDue() implements Input {}

    /** The agent is stopping: the last status, completed with it. */
    record Farewell(CompletableFuture<QuorumStatusStatus> status) implements Input {}

    /** What the loop asks of the world. Each call returns at once; results come back as inputs. */
    interface Outside extends DeviceVote.World, FencingHistoryWatch.World {
        /** Find this node's Kubernetes name from corosync's view; answers {@link Named} or {@link Unnamed}. */
        void name(QuorumSnapshot snapshot);

        /** With NODE_NAME set: check the Node's corosync node-id label against this node's id. */
        void checkNodeLabel(String nodeName, long localNodeId);

        /** The newest status for the API server; {@code since} is when the change behind it arrived. */
        void publish(QuorumStatusStatus status, Instant since);

        /** Call setvotes and setexpected on corosync's thread; answers {@link Viewed}, then {@link VotesTried}. */
        void applyVotes(VotePlan.Apply apply);

        /** Carry out the self-fence action, after the API server took {@code promise} (or in time without it). */
        void selfFence(QuorumStatusStatus promise, SelfFence.Fencing fencing);

        /** The spec's selfFenceAfter, for the watchdog. */
        void selfFenceAfter(Optional<Duration> after);

        Optional<WatchdogStatus> watchdogReport();

        /** How the self-fence action is carried out, for the log and the condition. */
        String selfFenceAction();

        void metrics(QuorumStatusStatus status);
    }

    /** A started timer. */
    interface Timer {
        void cancel();
    }

    /** Delivers {@code input} to the loop after {@code delay}. */
    interface Timers {
        Timer schedule(Duration delay, Input input);
    }

    private final Outside outside;
    private final Clock clock;
    private final Clock local;
    private final Timers timers;
    private final Duration selfFenceTimeout;
    private final Backoff applyBackoff;
    private final Backoff namingBackoff;
    private final boolean nodeNameSet;
    private final Optional<String> bootId;
    private final BlockingQueue<Input> inbox = new LinkedBlockingQueue<>();
    private final DeviceVote device;
    private final FencingHistoryWatch fencingHistory;

    private String nodeName;
    private boolean naming;
    private Timer namingTimer;
    private CorosyncView view = new CorosyncView.Unreachable("connecting to corosync");
    private VotePlan.Desired desired = new VotePlan.Desired(Optional.empty(), Optional.empty(), null);
    private ApplyOutcome outcome = ApplyOutcome.nothingRequested(null);
    private QuorumStatusStatus reported;
    /** {@link #reported}'s JSON, compared with every status composed: most are the same. */
    private byte[] reportedJson;

    private boolean applying;
    private Instant applyNotBefore = Instant.MIN;
    private Timer retryTimer;
    private Optional<Duration> selfFenceAfter = Optional.empty();
    private SelfFence selfFence = new SelfFence.Disarmed();
    private Timer selfFenceTimer;
    private SelfFence.Fencing fenceNow;
    private final List<CompletableFuture<QuorumStatusStatus>> farewells = new ArrayList<>();
    private List<Member> stamped = List.of();

    /** Written by the loop only; read by the health checks. */
    private volatile boolean corosyncReachable;

    /**
     * {@code clock} is the wall clock, {@code local} the agent's local one, which no clock step moves:
     * the quorum device measures its durations on it. {@code nodeNameSet}: the name came from NODE_NAME, so the Node's label is checked against
     * corosync's node id. Backoffs pace retries of refused votes and of the name lookup. {@code bootId}
     * is this boot of the node, which every report names.
     */
    AgentLoop(
            Outside outside,
            Clock clock,
            Clock local,
            Timers timers,
            Duration selfFenceTimeout,
            Backoff applyBackoff,
            Backoff namingBackoff,
            boolean nodeNameSet,
            Optional<String> bootId) {
        this.outside = outside;
        this.clock = clock;
        this.local = local;
        this.timers = timers;
        this.selfFenceTimeout = selfFenceTimeout;
        this.applyBackoff = applyBackoff;
        this.namingBackoff = namingBackoff;
        this.nodeNameSet = nodeNameSet;
        this.bootId = bootId;
        this.device = new DeviceVote(outside, timers);
        this.fencingHistory = new FencingHistoryWatch(outside, timers);
    }

    /**
     * Jackson builds a serializer for each type the first time it meets it, in the interpreter. A
     * status with every part, compared once at start, keeps that cost off the first transition.
     */
    static void warmUp() {
        QuorumStatusStatus sample = new QuorumStatusStatus();
        sample.setRingId(new RingId(1, 1));
        sample.setMembers(List.of(new Member(1, "warm-up", 1, MemberState.Member)));
        sample.setFlags(List.of(QuorumFlag.Quorate));
        sample.setQdevice(new Qdevice("warm-up", 1, true, true, false));
        sample.setApplied(new AppliedVotes(1, 1, 1L));
        sample.setWatchdog(new WatchdogStatus("/dev/watchdog", 10, WatchdogState.Armed, "30s", null, null));
        sample.setConditions(List.of(Conditions.of("WarmUp", Conditions.Status.True, "WarmUp", "", 1L)));
        Serialised.same(sample, new QuorumStatusStatus());
    }

    /** Hands {@code input} to the loop; any thread, never blocks. */
    void post(Input input) {
        inbox.add(input);
    }

    boolean corosyncReachable() {
        return corosyncReachable;
    }

    /** The loop's thread: takes every waiting input, handles them, and repeats until interrupted. */
    void run() {
        List<Input> batch = new ArrayList<>();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                batch.add(inbox.take());
            } catch (InterruptedException e) {
                return;
            }
            inbox.drainTo(batch);
            try {
                handle(batch);
            } catch (RuntimeException e) {
                LOG.error("the agent could not handle " + batch, e);
            }
            batch.clear();
        }
    }

    /** Handles a batch of inputs, then composes one status from them all. The loop's thread only. */
    void handle(List<Input> batch) {
        Instant since = null;
        for (Input input : batch) {
            if (input instanceof Viewed v && (since == null || v.since().isBefore(since))) {
                since = v.since();
            }
            take(input);
        }
        recompute(since == null ? clock.instant() : since);
        if (fenceNow != null) {
            outside.selfFence(reported, fenceNow);
            fenceNow = null;
        }
        farewells.forEach(f -> f.complete(reported));
        farewells.clear();
    }

    private void take(Input input) {
        if (input instanceof Named n) {
            named(n);
        } else if (input instanceof Unnamed) {
            naming = false;
            namingTimer = timers.schedule(namingBackoff.next(), new NamingDue());
        } else if (input instanceof NamingDue) {
            namingTimer = null;
            nameFrom(view);
        } else if (input instanceof Viewed v) {
            viewed(v.view());
        } else if (input instanceof SpecSeen s) {
            spec(s);
        } else if (input instanceof StatusDeleted) {
            LOG.warnf("QuorumStatus %s was deleted; writing it again", nodeName);
            reported = null;
            reportedJson = null;
        } else if (input instanceof VotesTried t) {
            votesTried(t.result());
        } else if (input instanceof RetryDue) {
            retryTimer = null;
        } else if (input instanceof SelfFenceDue) {
            selfFenceDue();
        } else if (input instanceof SelfFenceFailed f) {
            LOG.errorf("self-fence failed: %s", f.message());
            selfFence = new SelfFence.Failed("self-fence failed: " + f.message());
        } else if (input instanceof LeaseSeen l) {
            device.leaseSeen(l.lease());
        } else if (input instanceof LeaseWritten w) {
            device.written(w.write(), w.result(), w.error());
        } else if (input instanceof DevicePolled p) {
            device.polled(p.cast(), p.error());
        } else if (input instanceof DeviceDue) {
            device.due();
        } else if (input instanceof HistoryRead h) {
            fencingHistory.read(h.read());
        } else if (input instanceof HistoryDue) {
            fencingHistory.due();
        } else if (input instanceof Farewell f) {
            farewells.add(f.status());
        }
        // WatchdogChanged: the watchdog's report goes into the status composed after the batch
    }

    private void named(Named n) {
        naming = false;
        if (nodeName != null) {
            return;
        }
        nodeName = n.nodeName();
        namingBackoff.reset();
        n.resumed().ifPresent(s -> {
            reported = s;
            reportedJson = Serialised.json(s);
        });
        if (nodeNameSet && view instanceof CorosyncView.Reachable r) {
            outside.checkNodeLabel(nodeName, r.snapshot().config().localNodeId());
        }
    }

    private void viewed(CorosyncView next) {
        boolean firstContact = !(view instanceof CorosyncView.Reachable) && next instanceof CorosyncView.Reachable;
        view = next;
        corosyncReachable = next instanceof CorosyncView.Reachable;
        if (firstContact && nodeName != null && nodeNameSet) {
            outside.checkNodeLabel(
                    nodeName,
                    ((CorosyncView.Reachable) next).snapshot().config().localNodeId());
        }
        nameFrom(next);
    }

    /**
     * Without a name yet, and none being looked up or waited for: look it up from this view. With
     * NODE_NAME the name is given, never looked up.
     */
    private void nameFrom(CorosyncView current) {
        if (nodeName == null
                && !nodeNameSet
                && !naming
                && namingTimer == null
                && current instanceof CorosyncView.Reachable r) {
            naming = true;
            outside.name(r.snapshot());
        }
    }

    private void spec(SpecSeen seen) {
        QuorumStatusSpec spec = seen.spec() == null ? new QuorumStatusSpec() : seen.spec();
        VotePlan.Desired next = new VotePlan.Desired(
                Optional.ofNullable(spec.getVotes()), Optional.ofNullable(spec.getExpectedVotes()), seen.generation());
        Optional<Duration> after = Optional.empty();
        if (spec.getSelfFenceAfter() != null) {
            try {
                after = Optional.of(KubeDuration.parse(spec.getSelfFenceAfter()));
            } catch (IllegalArgumentException e) {
                LOG.errorf(
                        "QuorumStatus %s spec.selfFenceAfter: %s; self-fencing stays off until it is fixed",
                        seen.name(), e.getMessage());
            }
        }
        if (!next.equals(desired)) {
            desired = next;
            applyNotBefore = Instant.MIN;
            applyBackoff.reset();
            cancel(retryTimer);
            retryTimer = null;
        }
        device.spec(Optional.ofNullable(spec.getQuorumDevice()));
        if (!after.equals(selfFenceAfter)) {
            LOG.infof(after.map(a -> "self-fencing armed: this node fences itself (" + outside.selfFenceAction()
                            + ") after " + a.toMillis() + " ms without quorum")
                    .orElse("self-fencing off"));
            selfFenceAfter = after;
        }
        outside.selfFenceAfter(after);
    }

    private void votesTried(ApplyOutcome result) {
        applying = false;
        if ("Applied".equals(result.reason())) {
            applyBackoff.reset();
            LOG.infof("%s (generation %s)", result.message(), result.observedGeneration());
        } else {
            Duration pause = applyBackoff.next();
            applyNotBefore = clock.instant().plus(pause);
            LOG.warnf("%s; retrying in %d ms", result.message(), pause.toMillis());
        }
        outcome = result;
    }

    /** The point of no return: the status says so first, then the action starts outside the loop. */
    private void selfFenceDue() {
        selfFenceTimer = null;
        SelfFence before = selfFence;
        Optional<SelfFence> due =
                SelfFence.due(selfFence, clock.instant(), selfFenceTimeout, outside.selfFenceAction());
        if (due.isPresent()) {
            fenceNow = (SelfFence.Fencing) due.get();
            selfFence = fenceNow;
            LOG.errorf(
                    "without quorum since %s: fencing this node (%s); it is down by %s",
                    ((SelfFence.WithoutQuorum) before).since(), fenceNow.action(), fenceNow.downBy());
        }
    }

    /** Keeps the self-fence state in step with quorum, and its one timer in step with the state. */
    private void trackSelfFence(Optional<QuorumSnapshot> snapshot, Instant now) {
        SelfFence next = SelfFence.next(selfFence, selfFenceAfter, snapshot.map(QuorumSnapshot::quorate), now);
        if (next.equals(selfFence)) {
            return;
        }
        if (selfFence instanceof SelfFence.WithoutQuorum && next instanceof SelfFence.Armed) {
            LOG.info("quorum is back before the self-fence time; not fencing");
        }
        selfFence = next;
        cancel(selfFenceTimer);
        selfFenceTimer = null;
        if (next instanceof SelfFence.WithoutQuorum w) {
            LOG.warnf("without quorum: this node fences itself at %s unless quorum returns", w.fencesAt());
            Duration left = Duration.between(now, w.fencesAt());
            selfFenceTimer = timers.schedule(left.isNegative() ? Duration.ZERO : left, new SelfFenceDue());
        }
    }

    /** Recomputes the whole status from the inputs and publishes it if it changed. */
    private void recompute(Instant since) {
        if (nodeName == null) {
            return;
        }
        Instant now = clock.instant();
        Optional<QuorumSnapshot> snapshot =
                view instanceof CorosyncView.Reachable r ? Optional.of(r.snapshot()) : Optional.empty();
        trackSelfFence(snapshot, now);
        VotePlan plan = VotePlan.decide(desired, snapshot);
        if (plan instanceof VotePlan.Settled settled) {
            outcome = settled.outcome();
        } else if (plan instanceof VotePlan.Wait wait) {
            outcome = wait.outcome();
        } else if (plan instanceof VotePlan.Apply apply && !applying) {
            if (now.isBefore(applyNotBefore)) {
                if (retryTimer == null) {
                    retryTimer = timers.schedule(Duration.between(now, applyNotBefore), new RetryDue());
                }
            } else {
                applying = true;
                outside.applyVotes(apply);
            }
        }
        Optional<DeviceLease> deviceLease = device.step(snapshot, nodeName, now, local.instant());
        QuorumStatusStatus next =
                AgentStatus.compose(nodeName, view, outcome, selfFence, outside.watchdogReport(), reported, now);
        next.setDeviceLease(deviceLease.orElse(null));
        next.setFencingHistory(fencingHistory.step(snapshot).orElse(null));
        next.setBootId(bootId.orElse(null));
        next.setMembers(stampMembers(next.getMembers(), since));
        byte[] json = Serialised.json(next);
        if (reported == null || !Arrays.equals(json, reportedJson)) {
            logTransition(reported, next, since);
            reported = next;
            reportedJson = json;
            outside.metrics(next);
            outside.publish(next, since);
        }
    }

    /**
     * Each node with the time this process first saw it in its present state: kept while the state
     * stays, {@code since} (the callback behind this status) when it changes. Only what this process
     * saw counts, never a status resumed from the API server: the node may have come and gone while no
     * agent watched.
     */
    private List<Member> stampMembers(List<Member> members, Instant since) {
        Map<Long, Member> before = new HashMap<>();
        stamped.forEach(m -> before.put(m.nodeId(), m));
        String at = since.toString();
        stamped = members.stream()
                .map(m -> {
                    Member was = before.get(m.nodeId());
                    return m.since(was != null && was.state() == m.state() ? was.since() : at);
                })
                .toList();
        return stamped;
    }

    private static void cancel(Timer timer) {
        if (timer != null) {
            timer.cancel();
        }
    }

    /** One structured log line per change of quorum, ring or membership. */
    private static void logTransition(QuorumStatusStatus before, QuorumStatusStatus after, Instant callback) {
        if (before != null
                && Objects.equals(before.getQuorate(), after.getQuorate())
                && Objects.equals(before.getRingId(), after.getRingId())
                && Objects.equals(before.getMembers(), after.getMembers())
                && Objects.equals(before.getExpectedVotes(), after.getExpectedVotes())
                && Objects.equals(before.getNodeVotes(), after.getNodeVotes())) {
            return;
        }
        LOG.infof(
                "transition node=%s quorate=%s ring=%s members=%s votes=%s expected=%s total=%s quorum=%s "
                        + "callback=%s",
                after.getNodeName(),
                after.getQuorate() == null ? "unknown" : after.getQuorate(),
                after.getRingId() == null ? "-" : after.getRingId(),
                after.getMembers().stream()
                        .filter(m -> m.state() == MemberState.Member)
                        .map(m -> String.valueOf(m.nodeId()))
                        .collect(Collectors.joining(",")),
                after.getNodeVotes(),
                after.getExpectedVotes(),
                after.getTotalVotes(),
                after.getQuorum(),
                callback);
    }
}
