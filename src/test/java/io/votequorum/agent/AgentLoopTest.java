package io.votequorum.agent;

import static io.votequorum.agent.AgentStatusTest.T0;
import static io.votequorum.agent.AgentStatusTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.agent.AgentLoop.Input;
import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.CorosyncConfig;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.RingId;
import io.votequorum.device.LeaseVote;
import io.votequorum.model.Conditions;
import io.votequorum.model.FencingHistory;
import io.votequorum.model.QuorumDeviceSpec;
import io.votequorum.model.QuorumStatusSpec;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.WatchdogStatus;
import io.votequorum.pacemaker.FenceEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent's loop with a fake clock, fake timers and a fake world: no time passes, no thread runs. */
class AgentLoopTest {

    private static final Duration SELF_FENCE_TIMEOUT = Duration.ofSeconds(10);

    private final FakeTimers timers = new FakeTimers();
    private final FakeClock clock = new FakeClock();
    private final World world = new World();
    private AgentLoop loop;

    @BeforeEach
    void namedAndQuorate() {
        loop = new AgentLoop(
                world,
                clock,
                clock,
                timers,
                SELF_FENCE_TIMEOUT,
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)),
                new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4)),
                false,
                Optional.empty());
        handle(viewed(true, 1));
        assertThat(world.namings)
                .as("the name looked up from corosync's first view")
                .hasSize(1);
        handle(new AgentLoop.Named("k1", Optional.empty()));
    }

    @Test
    void pacemakersHistoryIsReadOnlyWhileQuorateWithANodeOutsideAndReportsTheLastFenceOfEachOutsider() {
        assertThat(world.historyReads).as("all three are members").isZero();
        handle(new AgentLoop.Viewed(new CorosyncView.Reachable(snapshot(true, 2, 1, 2)), clock.instant()));
        assertThat(world.historyReads).as("n3 left: read at once").isEqualTo(1);
        assertThat(world.last().getFencingHistory()).isNull();

        Instant before = T0.minusSeconds(600);
        Instant after = T0.plusMillis(1500);
        handle(new AgentLoop.HistoryRead(new FencingHistoryWatch.Read(
                List.of(
                        fence("n3", "reboot", FenceEvent.State.DONE, "n1", before),
                        fence("n3", "reboot", FenceEvent.State.DONE, "n2", after),
                        fence("n3", "off", FenceEvent.State.FAILED, "n2", after.plusSeconds(1)),
                        fence("n3", "off", FenceEvent.State.DONE, FenceEvent.MANUAL, after.plusSeconds(2)),
                        fence("n3", "on", FenceEvent.State.DONE, "n2", after.plusSeconds(3)),
                        fence("n2", "reboot", FenceEvent.State.DONE, "n1", before)),
                Optional.empty(),
                false)));
        FencingHistory history = world.last().getFencingHistory();
        assertThat(history.fenced())
                .as("only n3 is outside; its last reboot or off by a device counts, not a failure, a manual"
                        + " confirmation or an unfence")
                .containsExactly(new FencingHistory.CompletedFence("n3", 3L, "reboot", after.toString(), "n2", "n1"));

        advance(FencingHistoryWatch.INTERVAL);
        assertThat(world.historyReads).as("read again after the interval").isEqualTo(2);
        handle(new AgentLoop.HistoryRead(new FencingHistoryWatch.Read(
                List.of(), Optional.of("Pacemaker's fencer did not give its history (error -62)"), false)));
        assertThat(world.last().getFencingHistory().message()).contains("error -62");

        advance(FencingHistoryWatch.INTERVAL);
        handle(new AgentLoop.HistoryRead(
                new FencingHistoryWatch.Read(List.of(), Optional.of("libstonithd.so.26 cannot be loaded"), true)));
        assertThat(world.last().getFencingHistory())
                .as("where Pacemaker is not, nothing is reported")
                .isNull();

        handle(viewed(true, 3));
        int reads = world.historyReads;
        advance(Duration.ofSeconds(30));
        assertThat(world.historyReads).as("everyone is back: no more reads").isEqualTo(reads);
        assertThat(timers.pending()).noneMatch(t -> t.input() instanceof AgentLoop.HistoryDue);
    }

    @Test
    void eachNodeCarriesTheTimeThisAgentSawItInItsStateAndNeverATimeFromAResumedStatus() {
        Instant first = clock.instant();
        advance(Duration.ofSeconds(5));
        Instant left = clock.instant();
        handle(new AgentLoop.Viewed(new CorosyncView.Reachable(snapshot(true, 2, 1, 2)), left));
        assertThat(world.last().getMembers())
                .extracting(m -> m.nodeId() + " " + m.state() + " " + m.since())
                .containsExactly("1 Member " + first, "2 Member " + first, "3 Dead " + left);
        advance(Duration.ofSeconds(5));
        handle(spec(2, null));
        assertThat(world.last().getMembers().get(2).since())
                .as("unchanged while node3 stays out")
                .isEqualTo(left.toString());

        // A new agent process resumes the status the API server has: what it did not see, it does not claim.
        AgentLoop restarted = new AgentLoop(
                world,
                clock,
                clock,
                timers,
                SELF_FENCE_TIMEOUT,
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)),
                new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4)),
                true,
                Optional.empty());
        restarted.handle(List.of(new AgentLoop.Named("k1", Optional.of(world.last()))));
        Instant now = clock.instant();
        restarted.handle(List.of(new AgentLoop.Viewed(new CorosyncView.Reachable(snapshot(true, 2, 1, 2)), now)));
        assertThat(world.last().getMembers().get(2).since()).isEqualTo(now.toString());
    }

    @Test
    void aNodeWithoutQuorumDoesNotReadTheHistory() {
        handle(viewed(false, 2));
        assertThat(world.historyReads).isZero();
        assertThat(world.last().getFencingHistory()).isNull();
    }

    private static FenceEvent fence(String target, String action, FenceEvent.State state, String delegate, Instant at) {
        return new FenceEvent(
                target,
                action,
                state,
                Optional.of("n1"),
                Optional.of(delegate),
                Optional.of("pacemaker-controld"),
                Optional.of(at),
                Optional.empty());
    }

    @Test
    void theDeviceCreatesTheLeaseTakesItAfterAWholeLeaseAndCastsOnlyWhileItOutlastsAVote() {
        handle(aloneWithADevice(5), deviceSpec("15s"));
        assertThat(world.followed).containsExactly(Optional.of("votequorum-device-edge"));
        assertThat(world.writes).containsExactly(new LeaseVote.Create(T0));
        assertThat(world.polls).containsExactly("no vote 1.5");
        assertThat(world.last().getDeviceLease().casting()).isFalse();
        assertThat(world.last().getDeviceLease().timeoutMillis()).isEqualTo(4000L);

        LeaseVote.Seen created = new LeaseVote.Seen(Optional.empty(), Optional.of(T0), "10", T0);
        handle(new AgentLoop.LeaseWritten(world.writes.get(0), Optional.of(created), Optional.empty()));
        advance(Duration.ofSeconds(16));
        assertThat(world.writes)
                .as("a Lease without a holder waits out a whole Lease and the margin")
                .hasSize(1);
        advance(Duration.ofSeconds(2));
        assertThat(world.writes).hasSize(2);
        LeaseVote.Acquire acquire = (LeaseVote.Acquire) world.writes.get(1);
        assertThat(acquire.holder()).isEqualTo("corosync-node-1@k1");
        Instant taken = acquire.renewTime();

        LeaseVote.Seen held = new LeaseVote.Seen(Optional.of(acquire.holder()), Optional.of(taken), "11", taken);
        handle(new AgentLoop.LeaseWritten(acquire, Optional.of(held), Optional.empty()));
        assertThat(world.polls.get(world.polls.size() - 1)).isEqualTo("cast 1.5");
        assertThat(world.castUntils.get(world.castUntils.size() - 1))
                .as("15 s Lease less 8 s of vote life and 2 s of margin")
                .contains(taken.plusSeconds(5));
        assertThat(world.last().getDeviceLease().casting()).isTrue();
        assertThat(world.last().getDeviceLease().holder()).isEqualTo("corosync-node-1@k1");

        // The API server stops taking renewals: the vote goes 5 s after the last one, at a poll.
        int writes = world.writes.size();
        advance(Duration.ofSeconds(6));
        assertThat(world.writes.size()).as("renewals were asked for").isGreaterThan(writes);
        assertThat(world.polls.get(world.polls.size() - 1)).isEqualTo("no vote 1.5");
    }

    @Test
    void aWithdrawalCorosyncRefusesUnregistersTheDeviceAtOnce() {
        loop.handle(List.of(aloneWithADevice(5), deviceSpec("15s")));
        assertThat(world.polls).containsExactly("no vote 1.5");
        // An old ring id: corosync ignores the poll, and a vote cast before would go on counting.
        loop.handle(List.of(new AgentLoop.DevicePolled(false, Optional.of("CS_ERR_MESSAGE_ERROR"))));
        assertThat(world.stops)
                .as("unregistering withdraws the vote, whatever the ring")
                .isEqualTo(1);
        assertThat(world.polls)
                .as("the same ring is not polled again at each step, which would loop against corosync")
                .hasSize(1);
        loop.handle(List.of(aloneWithADevice(6)));
        assertThat(world.polls)
                .as("the view's new ring is polled at once")
                .containsExactly("no vote 1.5", "no vote 1.6");
    }

    @Test
    void aRefusedPollIsTriedAgainWhenThePollIsDue() {
        loop.handle(List.of(aloneWithADevice(5), deviceSpec("15s")));
        loop.handle(List.of(new AgentLoop.DevicePolled(false, Optional.of("CS_ERR_TRY_AGAIN"))));
        loop.handle(List.of(new AgentLoop.LeaseSeen(Optional.empty())));
        assertThat(world.polls).hasSize(1);
        advance(Duration.ofSeconds(2));
        assertThat(world.polls)
                .as("at the poll interval, half corosync's timeout")
                .hasSize(2);
    }

    @Test
    void timingsCorosyncCannotKeepStopTheDeviceAndSaySo() {
        handle(aloneWithADevice(5), deviceSpec("10s"));
        assertThat(world.followed).isEmpty();
        assertThat(world.polls).isEmpty();
        assertThat(world.last().getDeviceLease().message())
                .startsWith("leaseDuration 10s is shorter than the 14s the device needs");
        assertThat(world.last().getDeviceLease().casting()).isFalse();
    }

    @Test
    void anArmedNodeFencesItselfExactlyWhenItsTimeWithoutQuorumIsUp() {
        handle(spec(null, "30s"));
        clock.advance(Duration.ofSeconds(2));
        handle(viewed(false, 2));
        assertThat(condition("SelfFence")).contains("WithoutQuorum");
        assertThat(timers.pending()).as("one self-fence timer").hasSize(1);

        advance(Duration.ofMillis(29_999));
        assertThat(world.fences).isEmpty();
        advance(Duration.ofMillis(1));

        assertThat(world.fences).hasSize(1);
        SelfFence.Fencing fencing = world.fences.get(0);
        assertThat(fencing.downBy()).isEqualTo(T0.plusSeconds(2 + 30 + 10));
        assertThat(world.promises.get(0))
                .as("the promise is the status already published")
                .isSameAs(world.last());
        assertThat(condition("SelfFence")).contains("Fencing");
        assertThat(world.last().getSelfFenceDeadline()).isNotNull();
    }

    @Test
    void quorumBackInTimeCancelsTheSelfFenceAndAFailedActionIsReported() {
        handle(spec(null, "30s"));
        handle(viewed(false, 2));
        advance(Duration.ofSeconds(20));
        handle(viewed(true, 3));
        assertThat(timers.pending()).as("the self-fence timer cancelled").isEmpty();
        advance(Duration.ofSeconds(60));
        assertThat(world.fences).isEmpty();
        assertThat(condition("SelfFence")).contains("Armed");

        handle(viewed(false, 4));
        advance(Duration.ofSeconds(30));
        assertThat(world.fences).hasSize(1);
        handle(new AgentLoop.SelfFenceFailed("reboot: permission denied"));
        assertThat(condition("SelfFence")).contains("ActionFailed").contains("reboot: permission denied");
    }

    @Test
    void refusedVotesAreRetriedWithBackoffAndOneTimerAtATime() {
        handle(spec(2, null));
        assertThat(world.applies).as("applied at once").hasSize(1);
        handle(new AgentLoop.VotesTried(
                VotePlan.refused(desired(2), "CS_ERR_TRY_AGAIN", "corosync refused: try again")));
        assertThat(condition("Applied")).contains("CS_ERR_TRY_AGAIN");

        // Inputs during the pause recompute, and none of them starts another attempt or timer.
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMillis(100));
            handle(new AgentLoop.WatchdogChanged());
            handle(viewed(true, 1));
        }
        assertThat(world.applies).hasSize(1);
        assertThat(timers.pending()).as("one retry timer").hasSize(1);
        assertThat(timers.pending().get(0).at()).isEqualTo(T0.plusSeconds(1));

        advance(Duration.ofMillis(500));
        assertThat(world.applies).as("retried when the pause is over").hasSize(2);
        handle(new AgentLoop.VotesTried(
                VotePlan.refused(desired(2), "CS_ERR_TRY_AGAIN", "corosync refused: try again")));
        assertThat(timers.pending().get(0).at())
                .as("the pause doubled")
                .isEqualTo(clock.instant().plusSeconds(2));

        advance(Duration.ofSeconds(2));
        assertThat(world.applies).hasSize(3);
        handle(
                new AgentLoop.Viewed(new CorosyncView.Reachable(snapshot(true, 1, 1, 2, 3)), clock.instant()),
                new AgentLoop.VotesTried(VotePlan.applied(desired(2))));
        assertThat(condition("Applied")).contains("Applied");
        assertThat(timers.pending()).isEmpty();
    }

    @Test
    void aNewSpecEndsThePauseAndItsTimer() {
        handle(spec(2, null));
        handle(new AgentLoop.VotesTried(VotePlan.refused(desired(2), "CS_ERR_INVALID_PARAM", "corosync refused")));
        assertThat(timers.pending()).hasSize(1);

        handle(spec(3, null));

        assertThat(timers.pending()).as("the retry timer cancelled").isEmpty();
        assertThat(world.applies).as("the new spec applied at once").hasSize(2);
        assertThat(world.applies.get(1).votes()).contains(3);
    }

    @Test
    void aBurstOfViewsGivesOneStatusFromTheLastViewTimedByTheFirstCallback() {
        int before = world.published.size();
        Instant first = clock.instant();
        List<Input> burst = new ArrayList<>();
        for (int seq = 10; seq < 60; seq++) {
            burst.add(new AgentLoop.Viewed(
                    new CorosyncView.Reachable(snapshot(seq % 2 == 0, seq, 1, 2)), first.plusMillis(seq)));
        }
        loop.handle(burst);

        assertThat(world.published).hasSize(before + 1);
        assertThat(world.last().getRingId().seq()).isEqualTo(59);
        assertThat(world.sinces.get(world.sinces.size() - 1)).isEqualTo(first.plusMillis(10));
    }

    @Test
    void withoutANameNothingIsPublishedAndTheLookupIsRetriedOnATimer() {
        AgentLoop unnamed = new AgentLoop(
                world,
                clock,
                clock,
                timers,
                SELF_FENCE_TIMEOUT,
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)),
                new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4)),
                false,
                Optional.empty());
        world.namings.clear();
        int published = world.published.size();
        unnamed.handle(List.of(viewed(true, 1)));
        unnamed.handle(List.of(new AgentLoop.Unnamed()));
        unnamed.handle(List.of(viewed(true, 2), viewed(true, 3)));
        assertThat(world.namings).as("no second lookup while one waits").hasSize(1);

        clock.advance(Duration.ofMillis(500));
        timers.due(clock.instant()).forEach(input -> unnamed.handle(List.of(input)));
        assertThat(world.namings).hasSize(2);
        assertThat(world.published).hasSize(published);
    }

    @Test
    void withNodeNameSetTheNameIsNeverLookedUpAndTheLabelIsChecked() {
        AgentLoop given = new AgentLoop(
                world,
                clock,
                clock,
                timers,
                SELF_FENCE_TIMEOUT,
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)),
                new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4)),
                true,
                Optional.empty());
        world.namings.clear();
        given.handle(List.of(viewed(true, 1)));
        given.handle(List.of(new AgentLoop.Named("k1", Optional.empty()), viewed(true, 2)));

        assertThat(world.namings).isEmpty();
        assertThat(world.labelChecks).containsExactly("k1=1");
    }

    @Test
    void aDeletedStatusIsWrittenAgainAndAFarewellGetsTheLastStatus() {
        QuorumStatusStatus before = world.last();
        handle(new AgentLoop.StatusDeleted());
        assertThat(world.last()).isNotSameAs(before).isEqualTo(before);

        CompletableFuture<QuorumStatusStatus> farewell = new CompletableFuture<>();
        handle(new AgentLoop.Farewell(farewell));
        assertThat(farewell).isCompletedWithValue(world.last());
    }

    // --- helpers

    private void handle(Input... inputs) {
        loop.handle(List.of(inputs));
        // corosync answers each device poll at once.
        while (world.answered < world.polls.size()) {
            String poll = world.polls.get(world.answered++);
            loop.handle(List.of(new AgentLoop.DevicePolled(poll.startsWith("cast"), Optional.empty())));
        }
    }

    /** Moves the clock on, handing each timer's input to the loop at its time. */
    private void advance(Duration by) {
        Instant until = clock.instant().plus(by);
        for (Optional<FakeTimers.Scheduled> next = timers.next(until); next.isPresent(); next = timers.next(until)) {
            clock.set(next.get().at());
            handle(next.get().input());
        }
        clock.set(until);
    }

    private AgentLoop.Viewed viewed(boolean quorate, long seq) {
        return new AgentLoop.Viewed(
                new CorosyncView.Reachable(snapshot(quorate, seq, quorate ? new long[] {1, 2, 3} : new long[] {1})),
                clock.instant());
    }

    private static AgentLoop.SpecSeen spec(Integer votes, String selfFenceAfter) {
        QuorumStatusSpec spec = new QuorumStatusSpec();
        spec.setVotes(votes);
        spec.setSelfFenceAfter(selfFenceAfter);
        return new AgentLoop.SpecSeen("k1", spec, 1L);
    }

    /** Node 1 (k1) alone in its partition, corosync.conf declaring a one-vote device with 4 s timeouts. */
    private AgentLoop.Viewed aloneWithADevice(long seq) {
        QuorumSnapshot plain = snapshot(true, seq, 1);
        CorosyncConfig config = new CorosyncConfig(
                plain.config().clusterName(),
                1,
                plain.config().nodes(),
                1000,
                1200,
                new CorosyncConfig.QuorumOptions(
                        "corosync_votequorum",
                        false,
                        false,
                        false,
                        false,
                        Map.of(
                                "device.model",
                                "kubernetes-lease",
                                "device.votes",
                                "1",
                                "device.timeout",
                                "4000",
                                "device.sync_timeout",
                                "4000")));
        return new AgentLoop.Viewed(
                new CorosyncView.Reachable(
                        new QuorumSnapshot(config, true, plain.ring(), plain.local(), plain.nodes())),
                clock.instant());
    }

    private static AgentLoop.SpecSeen deviceSpec(String leaseDuration) {
        QuorumStatusSpec spec = new QuorumStatusSpec();
        QuorumDeviceSpec device = new QuorumDeviceSpec();
        device.setEnabled(true);
        device.setLeaseName("votequorum-device-edge");
        device.setLeaseDuration(leaseDuration);
        spec.setQuorumDevice(device);
        return new AgentLoop.SpecSeen("k1", spec, 2L);
    }

    private static VotePlan.Desired desired(int votes) {
        return new VotePlan.Desired(Optional.of(votes), Optional.empty(), 1L);
    }

    private String condition(String type) {
        return Conditions.find(world.last().getConditions(), type)
                .map(c -> c.getReason() + ": " + c.getMessage())
                .orElse("none");
    }

    /** Records what the loop asks for. */
    private static final class World implements AgentLoop.Outside {
        final List<QuorumSnapshot> namings = new ArrayList<>();
        final List<String> labelChecks = new ArrayList<>();
        final List<QuorumStatusStatus> published = new ArrayList<>();
        final List<Instant> sinces = new ArrayList<>();
        final List<VotePlan.Apply> applies = new ArrayList<>();
        final List<SelfFence.Fencing> fences = new ArrayList<>();
        final List<QuorumStatusStatus> promises = new ArrayList<>();

        QuorumStatusStatus last() {
            return published.get(published.size() - 1);
        }

        @Override
        public void name(QuorumSnapshot snapshot) {
            namings.add(snapshot);
        }

        @Override
        public void checkNodeLabel(String nodeName, long localNodeId) {
            labelChecks.add(nodeName + "=" + localNodeId);
        }

        @Override
        public void publish(QuorumStatusStatus status, Instant since) {
            published.add(status);
            sinces.add(since);
        }

        @Override
        public void applyVotes(VotePlan.Apply apply) {
            applies.add(apply);
        }

        @Override
        public void selfFence(QuorumStatusStatus promise, SelfFence.Fencing fencing) {
            promises.add(promise);
            fences.add(fencing);
        }

        @Override
        public void selfFenceAfter(Optional<Duration> after) {}

        @Override
        public Optional<WatchdogStatus> watchdogReport() {
            return Optional.empty();
        }

        @Override
        public String selfFenceAction() {
            return "the test's action";
        }

        @Override
        public void metrics(QuorumStatusStatus status) {}

        final List<Optional<String>> followed = new ArrayList<>();
        final List<LeaseVote.Write> writes = new ArrayList<>();
        final List<String> polls = new ArrayList<>();
        final List<Optional<Instant>> castUntils = new ArrayList<>();
        int stops;
        int answered;

        @Override
        public void followLease(Optional<String> name) {
            followed.add(name);
        }

        @Override
        public void writeLease(String name, Duration duration, LeaseVote.Write write) {
            writes.add(write);
        }

        @Override
        public void pollDevice(boolean cast, Optional<Instant> castUntil, RingId ring) {
            polls.add((cast ? "cast " : "no vote ") + ring);
            castUntils.add(castUntil);
        }

        @Override
        public void stopDevice() {
            stops++;
        }

        int historyReads;

        @Override
        public void readFencingHistory() {
            historyReads++;
        }
    }

    /** Timers that fire only when the test moves the clock. */
    private static final class FakeTimers implements AgentLoop.Timers {
        record Scheduled(Instant at, Input input, boolean[] cancelled) {}

        private final List<Scheduled> scheduled = new ArrayList<>();
        private FakeClock clock;

        @Override
        public AgentLoop.Timer schedule(Duration delay, Input input) {
            Scheduled s = new Scheduled(clockNow().plus(delay), input, new boolean[1]);
            scheduled.add(s);
            return () -> s.cancelled()[0] = true;
        }

        private Instant clockNow() {
            return clock == null ? T0 : clock.instant();
        }

        List<Scheduled> pending() {
            return scheduled.stream().filter(s -> !s.cancelled()[0]).toList();
        }

        /** The earliest pending timer due by {@code until}, taken off the list. */
        Optional<Scheduled> next(Instant until) {
            Optional<Scheduled> next =
                    pending().stream().filter(s -> !s.at().isAfter(until)).min(Comparator.comparing(Scheduled::at));
            next.ifPresent(scheduled::remove);
            return next;
        }

        List<Input> due(Instant until) {
            List<Input> due = new ArrayList<>();
            for (Optional<Scheduled> s = next(until); s.isPresent(); s = next(until)) {
                due.add(s.get().input());
            }
            return due;
        }
    }

    /** A clock the test sets. */
    private final class FakeClock extends Clock {
        private Instant now = T0;

        FakeClock() {
            timers.clock = this;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        void set(Instant at) {
            now = at;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
