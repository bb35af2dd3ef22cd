package io.votequorum.agent;

import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.RingId;
import io.votequorum.device.LeaseVote;
import io.votequorum.model.QuorumStatusSpec;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.WatchdogStatus;
import io.votequorum.pacemaker.FenceEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One agent process of the simulation: the production {@link AgentLoop} with its rules (self-fencing,
 * the watchdog's feed, the quorum device, the fencing history), and the agent's threads as the agent
 * runs them, single-threaded on the simulation's clock: the status writer that keeps only the newest
 * status, the heartbeat that renews only while it vouches for the report ({@link Heartbeat#vouches}),
 * and the watchdog feeder ({@link WatchdogFeed}). Only I/O is the {@link Host}'s: corosync, the API
 * server, the watchdog device, the node's power. A killed process is simply dropped: the host ignores
 * the callbacks of a process that is gone.
 */
public final class SimulatedAgent {

    /** What the process does to the world; every call returns at once. */
    public interface Host {
        /** Runs {@code task} after {@code delay} of the agent's clock; the handle cancels it. */
        Runnable schedule(Duration delay, Runnable task);

        /** Writes the status to the API server; false when the write fails. */
        boolean writeStatus(QuorumStatusStatus status);

        /** Renews the heartbeat Lease with this renew time (the agent's clock); false when it fails. */
        boolean renewLease(Instant renewTime, Duration duration);

        /** corosync's quorate flag as the feeder's probe reads it; empty when corosync does not answer. */
        Optional<Boolean> quorate();

        /** Opens the watchdog device (which starts its timer), feeds it, or closes it (magic close or not). */
        void watchdogOpen(Duration timeout);

        void watchdogFeed();

        void watchdogClose(boolean magic);

        /** The self-fence action: the node reboots at once. */
        void selfFence();

        /** Pacemaker's fencing history on this node, empty where Pacemaker does not run. */
        List<FenceEvent> fencingHistory();

        /** Follows the quorum device's Lease, or stops (empty); the host answers with {@link #leaseSeen}. */
        void followLease(Optional<String> name);

        /** Writes the device's Lease: the Lease as written, or empty when the API server refused it. */
        Optional<LeaseVote.Seen> writeLease(LeaseVote.Write write);

        /** Polls corosync's quorum device with this vote and ring: empty, or the error corosync gave. */
        Optional<String> pollDevice(boolean cast, RingId ring);

        /** Unregisters the quorum device: its vote goes at once. */
        void stopDevice();
    }

    static final Duration RENEW = Duration.ofSeconds(2);
    static final Duration LEASE = Duration.ofSeconds(10);
    static final Duration WATCHDOG_TIMEOUT = Duration.ofSeconds(10);
    static final Duration FEED_EVERY = Duration.ofSeconds(2);
    static final Duration WRITE_RETRY = Duration.ofSeconds(1);

    private final Host host;
    private final Clock clock;
    private final AgentLoop loop;
    private boolean alive = true;

    // The status writer: the newest status, the one the API server took, since when one waits.
    private QuorumStatusStatus latest;
    private QuorumStatusStatus written;
    private Optional<Instant> waiting = Optional.empty();
    private boolean writing;
    private boolean writeFailed;

    // The watchdog feeder.
    private WatchdogFeed feed = new WatchdogFeed.Off();
    private Optional<Duration> spec = Optional.empty();
    private Optional<Duration> acknowledged = Optional.empty();
    private Optional<Instant> lastQuorate = Optional.empty();
    private boolean quorate;
    private boolean deviceOpen;
    private boolean probing;

    public SimulatedAgent(
            Host host, Clock clock, String nodeName, String bootId, Optional<QuorumStatusStatus> resumed) {
        this.host = host;
        this.clock = clock;
        this.loop = new AgentLoop(
                new Outside(),
                clock,
                clock,
                (delay, input) -> {
                    Runnable cancel = host.schedule(delay, () -> take(input));
                    return cancel::run;
                },
                Duration.ofSeconds(5),
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60)),
                new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10)),
                true,
                Optional.of(bootId));
        resumed.ifPresent(s -> {
            written = s;
            acknowledged = Agent.reportedSelfFenceAfter(s);
        });
        take(new AgentLoop.Named(nodeName, resumed));
        host.schedule(Duration.ZERO, this::renew);
        host.schedule(FEED_EVERY, this::feederTick);
    }

    /** The process ends (killed, or its node went down): nothing it started runs any more. */
    public void kill() {
        alive = false;
    }

    public boolean alive() {
        return alive;
    }

    /** The local clock, which the device's Lease view is timed by. */
    public Instant localNow() {
        return clock.instant();
    }

    /** The device's Lease as the agent's informer sees it (empty: it does not exist). */
    public void leaseSeen(Optional<LeaseVote.Seen> lease) {
        take(new AgentLoop.LeaseSeen(lease));
    }

    /** corosync's view of this node changed (the callbacks of one burst). */
    public void viewed(QuorumSnapshot snapshot) {
        take(new AgentLoop.Viewed(new CorosyncView.Reachable(snapshot), clock.instant()));
    }

    public void unreachable(String reason) {
        take(new AgentLoop.Viewed(new CorosyncView.Unreachable(reason), clock.instant()));
    }

    /** The QuorumStatus spec as the agent's informer sees it. */
    public void spec(QuorumStatusSpec spec, Long generation, String name) {
        take(new AgentLoop.SpecSeen(name, spec, generation));
    }

    /** The agent's view of the status it reported; what it offered last is what it would write next. */
    public Optional<QuorumStatusStatus> reported() {
        return Optional.ofNullable(latest);
    }

    /** Whether the status writer has an unwritten status, to try again once the API server takes writes. */
    public void apiReachableAgain() {
        if (alive && !writing && latest != null && latest != written) {
            write();
        }
    }

    private void take(AgentLoop.Input input) {
        if (alive) {
            loop.handle(List.of(input));
        }
    }

    // --- the status writer

    private void offer(QuorumStatusStatus status) {
        if (latest == status) {
            return;
        }
        if (latest == null || latest == written) {
            waiting = Optional.of(clock.instant());
        }
        latest = status;
        if (!writing) {
            write();
        }
    }

    private void write() {
        writing = true;
        QuorumStatusStatus status = latest;
        if (host.writeStatus(status)) {
            writing = false;
            writeFailed = false;
            written = status;
            waiting = latest == written ? Optional.empty() : Optional.of(clock.instant());
            acknowledge(Agent.reportedSelfFenceAfter(status));
            if (latest != written) {
                write();
            }
        } else {
            writeFailed = true;
            host.schedule(WRITE_RETRY, () -> {
                if (alive) {
                    write();
                }
            });
        }
    }

    // --- the heartbeat

    private void renew() {
        if (!alive) {
            return;
        }
        if (Heartbeat.vouches(latest == written ? Optional.empty() : waiting, writeFailed, clock.instant(), RENEW)) {
            host.renewLease(clock.instant(), LEASE);
        }
        host.schedule(RENEW, this::renew);
    }

    // --- the watchdog feeder

    private void acknowledge(Optional<Duration> after) {
        if (!after.equals(acknowledged)) {
            acknowledged = after;
            feederStep();
        }
    }

    private void selfFenceAfter(Optional<Duration> after) {
        if (!after.equals(spec)) {
            boolean wanted = spec.isEmpty() && after.isPresent();
            spec = after;
            if (wanted && !probing) {
                probing = true;
                host.schedule(Duration.ZERO, this::probe);
            }
            feederStep();
        }
    }

    /** corosync is asked every second while the watchdog is wanted, as the session thread does. */
    private void probe() {
        if (!alive) {
            return;
        }
        if (!(spec.isPresent() || feed.holdsDevice())) {
            probing = false;
            return;
        }
        Instant asked = clock.instant();
        Optional<Boolean> answer = host.quorate();
        if (answer.orElse(false) && lastQuorate.map(asked::isAfter).orElse(true)) {
            lastQuorate = Optional.of(asked);
        }
        quorate = answer.orElse(false);
        feederStep();
        host.schedule(WatchdogFeed.PROBE, this::probe);
    }

    private void feederTick() {
        if (!alive) {
            return;
        }
        feederStep();
        host.schedule(FEED_EVERY, this::feederTick);
    }

    /** One round of the feeder thread: decide, open or close the device, feed if allowed, report a change. */
    private void feederStep() {
        if (!alive) {
            return;
        }
        Instant now = clock.instant();
        WatchdogFeed before = feed;
        WatchdogFeed next = WatchdogFeed.next(
                before, new WatchdogFeed.Inputs(spec, acknowledged, lastQuorate, quorate, Optional.empty()), now);
        if (next.holdsDevice() && !deviceOpen) {
            host.watchdogOpen(WATCHDOG_TIMEOUT);
            deviceOpen = true;
        }
        if (!next.holdsDevice() && deviceOpen) {
            host.watchdogClose(next instanceof WatchdogFeed.Disarmed);
            deviceOpen = false;
        }
        if (deviceOpen && next.feeds(now)) {
            host.watchdogFeed();
        }
        feed = next;
        String device = "/dev/watchdog";
        int seconds = (int) WATCHDOG_TIMEOUT.toSeconds();
        if (!Objects.equals(before.report(device, seconds), next.report(device, seconds))) {
            take(new AgentLoop.WatchdogChanged());
        }
    }

    /** The loop's world: the writer, the feeder, the host. */
    private final class Outside implements AgentLoop.Outside {
        @Override
        public void name(QuorumSnapshot snapshot) {}

        @Override
        public void checkNodeLabel(String nodeName, long localNodeId) {}

        @Override
        public void publish(QuorumStatusStatus status, Instant since) {
            offer(status);
        }

        @Override
        public void applyVotes(VotePlan.Apply apply) {
            host.schedule(Duration.ZERO, () -> take(new AgentLoop.VotesTried(VotePlan.applied(apply.desired()))));
        }

        @Override
        public void selfFence(QuorumStatusStatus promise, SelfFence.Fencing fencing) {
            host.schedule(Duration.ofMillis(100), () -> {
                if (alive) {
                    host.selfFence();
                }
            });
        }

        @Override
        public void selfFenceAfter(Optional<Duration> after) {
            SimulatedAgent.this.selfFenceAfter(after);
        }

        @Override
        public Optional<WatchdogStatus> watchdogReport() {
            return feed.report("/dev/watchdog", (int) WATCHDOG_TIMEOUT.toSeconds());
        }

        @Override
        public String selfFenceAction() {
            return "the simulation's reboot";
        }

        @Override
        public void metrics(QuorumStatusStatus status) {}

        @Override
        public void followLease(Optional<String> name) {
            host.followLease(name);
        }

        @Override
        public void writeLease(String name, Duration duration, LeaseVote.Write write) {
            host.schedule(Duration.ofMillis(20), () -> {
                if (alive) {
                    Optional<LeaseVote.Seen> written = host.writeLease(write);
                    take(new AgentLoop.LeaseWritten(
                            write, written, written.isPresent() ? Optional.empty() : Optional.of("refused")));
                }
            });
        }

        /** As the device's world does it: the poll casts only if it reaches corosync in time. */
        @Override
        public void pollDevice(boolean cast, Optional<Instant> castUntil, RingId ring) {
            host.schedule(Duration.ofMillis(5), () -> {
                if (alive) {
                    boolean inTime = cast
                            && castUntil
                                    .filter(u -> !clock.instant().isAfter(u))
                                    .isPresent();
                    Optional<String> error = host.pollDevice(inTime, ring);
                    take(new AgentLoop.DevicePolled(inTime && error.isEmpty(), error));
                }
            });
        }

        @Override
        public void stopDevice() {
            host.schedule(Duration.ZERO, () -> {
                if (alive) {
                    host.stopDevice();
                }
            });
        }

        @Override
        public void readFencingHistory() {
            host.schedule(
                    Duration.ofMillis(50),
                    () -> take(new AgentLoop.HistoryRead(
                            new FencingHistoryWatch.Read(host.fencingHistory(), Optional.empty(), false))));
        }
    }
}
