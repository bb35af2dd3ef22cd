package io.votequorum.agent;

import static io.votequorum.agent.AgentStatusTest.T0;
import static io.votequorum.agent.AgentStatusTest.condition;
import static io.votequorum.agent.AgentStatusTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.agent.AgentStatus.ApplyOutcome;
import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.model.QuorumStatusStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SelfFenceTest {

    static final Optional<Duration> AFTER = Optional.of(Duration.ofSeconds(30));
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void withoutSelfFenceAfterNothingIsArmedAndNoQuorumChangesNothing() {
        SelfFence state = SelfFence.next(new SelfFence.Disarmed(), Optional.empty(), Optional.of(false), T0);
        assertThat(state).isEqualTo(new SelfFence.Disarmed());
        assertThat(SelfFence.due(state, T0.plus(Duration.ofDays(1)), TIMEOUT, "reboot"))
                .isEmpty();
        assertThat(state.condition(1L)).isEmpty();
        assertThat(state.deadline()).isEmpty();
    }

    @Test
    void losingQuorumStartsTheClockAndItKeepsItsStartThroughFurtherReports() {
        SelfFence armed = SelfFence.next(new SelfFence.Disarmed(), AFTER, Optional.of(true), T0);
        assertThat(armed).isEqualTo(new SelfFence.Armed(Duration.ofSeconds(30)));
        SelfFence lost = SelfFence.next(armed, AFTER, Optional.of(false), T0.plusSeconds(1));
        SelfFence stillLost = SelfFence.next(lost, AFTER, Optional.of(false), T0.plusSeconds(9));
        assertThat(stillLost).isEqualTo(new SelfFence.WithoutQuorum(Duration.ofSeconds(30), T0.plusSeconds(1)));
        assertThat(SelfFence.due(stillLost, T0.plusSeconds(30), TIMEOUT, "reboot"))
                .isEmpty();
        assertThat(stillLost.deadline())
                .as("no deadline before the point of no return")
                .isEmpty();
    }

    @Test
    void quorumBackBeforeTheTimeDisarmsTheClock() {
        SelfFence lost = SelfFence.next(new SelfFence.Armed(Duration.ofSeconds(30)), AFTER, Optional.of(false), T0);
        SelfFence back = SelfFence.next(lost, AFTER, Optional.of(true), T0.plusSeconds(29));
        assertThat(back).isEqualTo(new SelfFence.Armed(Duration.ofSeconds(30)));
        assertThat(SelfFence.due(back, T0.plusSeconds(31), TIMEOUT, "reboot")).isEmpty();
    }

    @Test
    void corosyncUnreachableNeitherStartsNorEndsTheTimeWithoutQuorum() {
        SelfFence armed = new SelfFence.Armed(Duration.ofSeconds(30));
        assertThat(SelfFence.next(armed, AFTER, Optional.empty(), T0)).isEqualTo(armed);
        SelfFence lost = SelfFence.next(armed, AFTER, Optional.of(false), T0);
        assertThat(SelfFence.next(lost, AFTER, Optional.empty(), T0.plusSeconds(5)))
                .isEqualTo(lost);
    }

    @Test
    void afterSelfFenceAfterTheDeadlineIsTheStartOfTheActionPlusItsTimeoutRoundedUp() {
        SelfFence lost = SelfFence.next(new SelfFence.Armed(Duration.ofSeconds(30)), AFTER, Optional.of(false), T0);
        Instant due = T0.plusSeconds(30).plusMillis(250);
        SelfFence fencing = SelfFence.due(lost, due, TIMEOUT, "reboot").orElseThrow();
        assertThat(fencing.deadline()).contains(T0.plusSeconds(36));
        assertThat(fencing.deadline().get()).isAfterOrEqualTo(due.plus(TIMEOUT));
    }

    @Test
    void onceFencingOnlyRegainedQuorumEndsItAndADisarmingSpecDoesNot() {
        SelfFence fencing = new SelfFence.Fencing(T0.plusSeconds(35), "reboot");
        assertThat(SelfFence.next(fencing, Optional.empty(), Optional.of(false), T0.plusSeconds(40)))
                .isEqualTo(fencing);
        assertThat(SelfFence.next(fencing, AFTER, Optional.empty(), T0.plusSeconds(40)))
                .isEqualTo(fencing);
        assertThat(SelfFence.next(fencing, AFTER, Optional.of(true), T0.plusSeconds(40)))
                .isEqualTo(new SelfFence.Armed(Duration.ofSeconds(30)));
        SelfFence failed = new SelfFence.Failed("self-fence failed: exited with 1");
        assertThat(SelfFence.next(failed, AFTER, Optional.of(false), T0)).isEqualTo(failed);
        assertThat(failed.deadline()).isEmpty();
    }

    @Test
    void theStatusCarriesTheDeadlineAndTheConditionSaysWhatIsHappening() {
        CorosyncView lost = new CorosyncView.Reachable(snapshot(false, 8, 1));
        QuorumStatusStatus waiting = AgentStatus.compose(
                "k1",
                lost,
                ApplyOutcome.nothingRequested(2L),
                new SelfFence.WithoutQuorum(Duration.ofSeconds(30), T0),
                Optional.empty(),
                null,
                T0);
        assertThat(waiting.getSelfFenceDeadline()).isNull();
        assertThat(condition(waiting, SelfFence.CONDITION, c -> c.getReason())).isEqualTo("WithoutQuorum");
        assertThat(condition(waiting, SelfFence.CONDITION, c -> c.getMessage()))
                .contains("fences itself at 2026-01-01T00:00:30Z unless quorum returns");

        QuorumStatusStatus fencing = AgentStatus.compose(
                "k1",
                lost,
                ApplyOutcome.nothingRequested(2L),
                new SelfFence.Fencing(T0.plusSeconds(35), "command /bin/true"),
                Optional.empty(),
                waiting,
                T0.plusSeconds(30));
        assertThat(fencing.getSelfFenceDeadline()).isEqualTo("2026-01-01T00:00:35Z");
        assertThat(condition(fencing, SelfFence.CONDITION, c -> c.getStatus())).isEqualTo("True");
        assertThat(condition(fencing, SelfFence.CONDITION, c -> c.getMessage()))
                .isEqualTo("fencing this node (command /bin/true); it is down by 2026-01-01T00:00:35Z");

        QuorumStatusStatus failed = AgentStatus.compose(
                "k1",
                lost,
                ApplyOutcome.nothingRequested(2L),
                new SelfFence.Failed("self-fence failed: exited with 1"),
                Optional.empty(),
                fencing,
                T0.plusSeconds(31));
        assertThat(failed.getSelfFenceDeadline())
                .as("a failed action withdraws the deadline")
                .isNull();
        assertThat(condition(failed, SelfFence.CONDITION, c -> c.getReason())).isEqualTo("ActionFailed");

        QuorumStatusStatus disarmed = AgentStatus.compose(
                "k1", lost, ApplyOutcome.nothingRequested(2L), new SelfFence.Disarmed(), Optional.empty(), null, T0);
        assertThat(condition(disarmed, SelfFence.CONDITION, c -> c.getType())).isEqualTo("missing");
    }
}
