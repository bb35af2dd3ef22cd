package io.votequorum.agent;

import static io.votequorum.agent.AgentStatusTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.agent.WatchdogFeed.Inputs;
import io.votequorum.model.WatchdogState;
import io.votequorum.model.WatchdogStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The feeding rule, on a clock the test moves: nothing sleeps. */
class WatchdogFeedTest {

    static final Duration S = Duration.ofSeconds(30);
    static final Optional<Duration> SPEC = Optional.of(S);

    /** Self-fencing on with S acknowledged, and corosync's last answer "quorate" at {@code at}. */
    static Inputs quorateAt(Instant at) {
        return new Inputs(SPEC, SPEC, Optional.of(at), true, Optional.empty());
    }

    /** corosync's latest answer: not quorate (or unreachable); it last confirmed quorum at {@code at}. */
    static Inputs lostAfter(Instant at) {
        return new Inputs(SPEC, SPEC, Optional.of(at), false, Optional.empty());
    }

    static WatchdogFeed armed() {
        WatchdogFeed state = WatchdogFeed.next(new WatchdogFeed.Off(), quorateAt(T0), T0);
        assertThat(state).isEqualTo(new WatchdogFeed.Armed(S, S, T0));
        return state;
    }

    @Test
    void withoutSelfFencingNothingIsOpenedOrReported() {
        WatchdogFeed state = WatchdogFeed.next(
                new WatchdogFeed.Off(),
                new Inputs(Optional.empty(), Optional.empty(), Optional.of(T0), true, Optional.empty()),
                T0);
        assertThat(state).isEqualTo(new WatchdogFeed.Off());
        assertThat(state.holdsDevice()).isFalse();
        assertThat(state.feeds(T0)).isFalse();
        assertThat(state.report("/dev/watchdog", 10)).isEmpty();
    }

    @Test
    void armedWhileCorosyncConfirmsQuorumAndFedOnlyUntilTheLastConfirmationPlusS() {
        WatchdogFeed state = armed();
        assertThat(state.holdsDevice()).isTrue();
        assertThat(state.feeds(T0.plusSeconds(1))).isTrue();
        // Each probe moves the bound on.
        state = WatchdogFeed.next(state, quorateAt(T0.plusSeconds(1)), T0.plusSeconds(1));
        assertThat(state).isEqualTo(new WatchdogFeed.Armed(S, S, T0.plusSeconds(1)));
        assertThat(state.feeds(T0.plusSeconds(30).plusMillis(999))).isTrue();
        assertThat(state.feeds(T0.plusSeconds(31)))
                .as("never at lastConfirmed + S or later")
                .isFalse();

        WatchdogStatus report = state.report("/dev/watchdog", 10).orElseThrow();
        assertThat(report)
                .isEqualTo(new WatchdogStatus("/dev/watchdog", 10, WatchdogState.Armed, "30s", null, report.message()));
        assertThat(report.backsSelfFencing()).isTrue();
        assertThat(WatchdogFeed.condition(report, 1L).getStatus()).isEqualTo("True");
    }

    @Test
    void lostQuorumExpiresAtTheLastConfirmationPlusSAndThenFeedingStopsForGood() {
        WatchdogFeed state = WatchdogFeed.next(armed(), quorateAt(T0.plusSeconds(4)), T0.plusSeconds(4));
        state = WatchdogFeed.next(state, lostAfter(T0.plusSeconds(4)), T0.plusMillis(4500));
        assertThat(state).isEqualTo(new WatchdogFeed.Expiring(S, T0.plusSeconds(4), T0.plusSeconds(34)));
        assertThat(state.feeds(T0.plusSeconds(33))).isTrue();
        assertThat(state.feeds(T0.plusSeconds(34))).isFalse();
        WatchdogStatus expiring = state.report("/dev/watchdog", 10).orElseThrow();
        assertThat(expiring.state()).isEqualTo(WatchdogState.Expiring);
        assertThat(expiring.feedsUntil()).isEqualTo("2026-01-01T00:00:34Z");
        assertThat(WatchdogFeed.condition(expiring, 1L).getStatus()).isEqualTo("False");

        state = WatchdogFeed.next(state, lostAfter(T0.plusSeconds(4)), T0.plusSeconds(34));
        assertThat(state).isEqualTo(new WatchdogFeed.Expired(S, T0.plusSeconds(4), T0.plusSeconds(34)));
        assertThat(state.feeds(T0.plusSeconds(34))).isFalse();
        assertThat(state.holdsDevice())
                .as("closing could stop it: the device stays open")
                .isTrue();
        assertThat(state.report("/dev/watchdog", 10).orElseThrow().feedsUntil()).isEqualTo("2026-01-01T00:00:34Z");
        // An old confirmation, even "quorate", is no confirmation.
        state = WatchdogFeed.next(state, quorateAt(T0.plusSeconds(4)), T0.plusSeconds(40));
        assertThat(state).isInstanceOf(WatchdogFeed.Expired.class);
        assertThat(state.feeds(T0.plusSeconds(40))).isFalse();
    }

    @Test
    void aCorosyncThatStopsAnsweringCountsAsNoConfirmation() {
        WatchdogFeed state = armed();
        // No answer since T0: the latest answer still says quorate, but it is stale.
        state = WatchdogFeed.next(
                state, quorateAt(T0), T0.plus(WatchdogFeed.FRESH).plusMillis(1));
        assertThat(state).isEqualTo(new WatchdogFeed.Expiring(S, T0, T0.plus(S)));
        // Unreachable: the same.
        WatchdogFeed unreachable = WatchdogFeed.next(armed(), lostAfter(T0), T0.plusMillis(100));
        assertThat(unreachable).isEqualTo(new WatchdogFeed.Expiring(S, T0, T0.plus(S)));
        // Even while Armed and never re-evaluated, feeding ends at the bound.
        assertThat(armed().feeds(T0.plus(S))).isFalse();
    }

    @Test
    void quorumConfirmedAgainArmsOnceMore() {
        WatchdogFeed expired = WatchdogFeed.next(
                WatchdogFeed.next(armed(), lostAfter(T0), T0.plusSeconds(1)), lostAfter(T0), T0.plusSeconds(31));
        assertThat(expired).isInstanceOf(WatchdogFeed.Expired.class);
        WatchdogFeed back = WatchdogFeed.next(expired, quorateAt(T0.plusSeconds(60)), T0.plusSeconds(60));
        assertThat(back).isEqualTo(new WatchdogFeed.Armed(S, S, T0.plusSeconds(60)));
        assertThat(back.feeds(T0.plusSeconds(61))).isTrue();
    }

    @Test
    void withoutQuorumASpecChangeNeitherDisarmsNorLengthens() {
        WatchdogFeed expiring = WatchdogFeed.next(armed(), lostAfter(T0), T0.plusSeconds(1));
        Inputs longer = new Inputs(
                Optional.of(Duration.ofMinutes(10)),
                Optional.of(Duration.ofMinutes(10)),
                Optional.of(T0),
                false,
                Optional.empty());
        assertThat(WatchdogFeed.next(expiring, longer, T0.plusSeconds(2))).isEqualTo(expiring);
        Inputs off = new Inputs(Optional.empty(), SPEC, Optional.of(T0), false, Optional.empty());
        assertThat(WatchdogFeed.next(expiring, off, T0.plusSeconds(2))).isEqualTo(expiring);
        // Spec off at the very moment quorum is lost: still expiring, not disarmed.
        assertThat(WatchdogFeed.next(armed(), off, T0.plusSeconds(1))).isEqualTo(expiring);
    }

    @Test
    void selfFencingTurnedOffWhileQuorateDisarms() {
        Inputs off = new Inputs(Optional.empty(), SPEC, Optional.of(T0.plusSeconds(1)), true, Optional.empty());
        WatchdogFeed state = WatchdogFeed.next(armed(), off, T0.plusSeconds(1));
        assertThat(state).isInstanceOf(WatchdogFeed.Disarmed.class);
        assertThat(state.holdsDevice()).isFalse();
        WatchdogStatus report = state.report("/dev/watchdog", 10).orElseThrow();
        assertThat(report.state()).isEqualTo(WatchdogState.Disarmed);
        assertThat(report.backsSelfFencing()).isFalse();
    }

    @Test
    void aLargerSCountsOnlyOnceTheReportCarryingItIsAcknowledgedASmallerOneAtOnce() {
        Duration longer = Duration.ofSeconds(90);
        Inputs pending = new Inputs(Optional.of(longer), SPEC, Optional.of(T0.plusSeconds(1)), true, Optional.empty());
        WatchdogFeed state = WatchdogFeed.next(armed(), pending, T0.plusSeconds(1));
        assertThat(state).isEqualTo(new WatchdogFeed.Armed(S, longer, T0.plusSeconds(1)));
        assertThat(state.report("d", 10).orElseThrow().selfFenceAfter())
                .as("reported at once")
                .isEqualTo("90s");
        assertThat(state.feeds(T0.plusSeconds(31)))
                .as("still the acknowledged 30s")
                .isFalse();

        Inputs acknowledged = new Inputs(
                Optional.of(longer), Optional.of(longer), Optional.of(T0.plusSeconds(2)), true, Optional.empty());
        state = WatchdogFeed.next(state, acknowledged, T0.plusSeconds(2));
        assertThat(state).isEqualTo(new WatchdogFeed.Armed(longer, longer, T0.plusSeconds(2)));
        assertThat(state.feeds(T0.plusSeconds(60))).isTrue();

        Duration shorter = Duration.ofSeconds(5);
        Inputs smaller = new Inputs(
                Optional.of(shorter), Optional.of(longer), Optional.of(T0.plusSeconds(3)), true, Optional.empty());
        state = WatchdogFeed.next(state, smaller, T0.plusSeconds(3));
        assertThat(state).isEqualTo(new WatchdogFeed.Armed(shorter, shorter, T0.plusSeconds(3)));
        assertThat(state.feeds(T0.plusSeconds(8))).isFalse();

        // Nothing acknowledged yet (first report): the operator sees no watchdog, so the spec applies.
        Inputs first = new Inputs(SPEC, Optional.empty(), Optional.of(T0), true, Optional.empty());
        assertThat(WatchdogFeed.next(new WatchdogFeed.Off(), first, T0)).isEqualTo(new WatchdogFeed.Armed(S, S, T0));
    }

    @Test
    void aDeviceThatCannotBeUsedIsUnavailableAndNeverBacksSelfFencing() {
        Inputs broken = new Inputs(
                SPEC,
                SPEC,
                Optional.of(T0),
                true,
                Optional.of("no watchdog device at /dev/watchdog: load a watchdog driver"));
        WatchdogFeed state = WatchdogFeed.next(new WatchdogFeed.Off(), broken, T0);
        assertThat(state)
                .isEqualTo(new WatchdogFeed.Unavailable(
                        S, "no watchdog device at /dev/watchdog: load a " + "watchdog driver"));
        assertThat(state.feeds(T0)).isFalse();
        WatchdogStatus report = state.report("/dev/watchdog", 10).orElseThrow();
        assertThat(report.state()).isEqualTo(WatchdogState.Unavailable);
        assertThat(report.backsSelfFencing()).isFalse();
        assertThat(WatchdogFeed.condition(report, 1L).getReason()).isEqualTo("Unavailable");
        assertThat(WatchdogFeed.condition(report, 1L).getMessage()).contains("load a watchdog driver");
    }

    @Test
    void notQuorateWhenSelfFencingIsTurnedOnWaitsWithTheDeviceClosed() {
        WatchdogFeed state = WatchdogFeed.next(new WatchdogFeed.Off(), lostAfter(T0), T0.plusSeconds(1));
        assertThat(state).isInstanceOf(WatchdogFeed.Disarmed.class);
        assertThat(state.holdsDevice()).isFalse();
        assertThat(state.report("d", 10).orElseThrow().selfFenceAfter()).isEqualTo("30s");
    }

    @Test
    void durationsAndTimesAreReportedInTheKubernetesFormRoundedUp() {
        assertThat(WatchdogFeed.duration(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(WatchdogFeed.duration(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(WatchdogFeed.roundUp(T0.plusMillis(1))).isEqualTo("2026-01-01T00:00:01Z");
        assertThat(WatchdogFeed.roundUp(T0)).isEqualTo("2026-01-01T00:00:00Z");
    }
}
