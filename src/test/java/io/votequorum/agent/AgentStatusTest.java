package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.votequorum.agent.AgentStatus.ApplyOutcome;
import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.CorosyncConfig;
import io.votequorum.corosync.NodeState;
import io.votequorum.corosync.QuorumInfo;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.RingId;
import io.votequorum.corosync.VotequorumFlag;
import io.votequorum.model.AppliedVotes;
import io.votequorum.model.Conditions;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.WatchdogState;
import io.votequorum.model.WatchdogStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AgentStatusTest {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final SelfFence OFF = new SelfFence.Disarmed();
    static final Optional<WatchdogStatus> NONE = Optional.empty();
    static final CorosyncConfig CONFIG = new CorosyncConfig(
            "edge",
            1,
            List.of(
                    new CorosyncConfig.NodeEntry(1, Optional.of("n1"), List.of()),
                    new CorosyncConfig.NodeEntry(2, Optional.of("n2"), List.of()),
                    new CorosyncConfig.NodeEntry(3, Optional.of("n3"), List.of())),
            1000,
            1200,
            new CorosyncConfig.QuorumOptions("corosync_votequorum", false, false, false, false, Map.of()));

    static QuorumSnapshot snapshot(boolean quorate, long seq, long... members) {
        QuorumInfo local = new QuorumInfo(
                1,
                NodeState.MEMBER,
                1,
                3,
                3,
                members.length,
                2,
                quorate ? Set.of(VotequorumFlag.QUORATE) : Set.of(),
                0,
                Optional.empty());
        List<QuorumSnapshot.Node> nodes = new ArrayList<>();
        for (long id = 1; id <= 3; id++) {
            long node = id;
            boolean member = Arrays.stream(members).anyMatch(m -> m == node);
            nodes.add(
                    new QuorumSnapshot.Node(id, Optional.of("n" + id), 1, member ? NodeState.MEMBER : NodeState.DEAD));
        }
        return new QuorumSnapshot(CONFIG, quorate, Optional.of(new RingId(1, seq)), local, nodes);
    }

    static String condition(QuorumStatusStatus status, String type, Function<Condition, String> f) {
        return Conditions.find(status.getConditions(), type).map(f).orElse("missing");
    }

    @Test
    void aReachableQuorateNodeReportsEverythingWithConditions() {
        QuorumStatusStatus status = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(true, 4, 1, 2, 3)),
                ApplyOutcome.nothingRequested(7L),
                OFF,
                NONE,
                null,
                T0);

        assertThat(status.getNodeName()).isEqualTo("k1");
        assertThat(status.getQuorate()).isTrue();
        assertThat(status.getMemberCount()).isEqualTo(3);
        assertThat(status.getObservedGeneration()).isEqualTo(7L);
        assertThat(status.getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(status.getConditions())
                .extracting(Condition::getType)
                .containsExactly("CorosyncReachable", "Quorate", "Applied");
        assertThat(condition(status, "Quorate", Condition::getMessage))
                .isEqualTo("3 votes present, quorum 2, 3 members");
    }

    @Test
    void nothingChangedGivesAnEqualStatusSoNothingIsWritten() {
        CorosyncView view = new CorosyncView.Reachable(snapshot(true, 4, 1, 2, 3));
        QuorumStatusStatus first =
                AgentStatus.compose("k1", view, ApplyOutcome.nothingRequested(1L), OFF, NONE, null, T0);
        QuorumStatusStatus again = AgentStatus.compose(
                "k1", view, ApplyOutcome.nothingRequested(1L), OFF, NONE, first, T0.plusSeconds(60));
        assertThat(again).isEqualTo(first);
    }

    @Test
    void losingQuorumMovesTheTransitionTimeAndOnlyTheConditionsThatChanged() {
        QuorumStatusStatus quorate = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(true, 4, 1, 2, 3)),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                NONE,
                null,
                T0);
        QuorumStatusStatus lost = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(false, 8, 1)),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                NONE,
                quorate,
                T0.plusSeconds(30));

        assertThat(lost.getQuorate()).isFalse();
        assertThat(lost.getLastTransitionTime()).isEqualTo("2026-01-01T00:00:30Z");
        assertThat(condition(lost, "Quorate", Condition::getLastTransitionTime)).isEqualTo("2026-01-01T00:00:30Z");
        assertThat(condition(lost, "CorosyncReachable", Condition::getLastTransitionTime))
                .isEqualTo("2026-01-01T00:00:00Z");
    }

    @Test
    void anUnreachableCorosyncLeavesQuorumUnknownAndNoStaleMembership() {
        QuorumStatusStatus quorate = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(true, 4, 1, 2, 3)),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                NONE,
                null,
                T0);
        QuorumStatusStatus down = AgentStatus.compose(
                "k1",
                new CorosyncView.Unreachable("cmap_initialize failed"),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                NONE,
                quorate,
                T0.plusSeconds(5));

        assertThat(down.getQuorate()).isNull();
        assertThat(down.getMembers()).isEmpty();
        assertThat(down.getRingId()).isNull();
        assertThat(down.getNodeId()).isEqualTo(1L);
        assertThat(condition(down, "CorosyncReachable", Condition::getStatus)).isEqualTo("False");
        assertThat(condition(down, "CorosyncReachable", Condition::getMessage)).isEqualTo("cmap_initialize failed");
        assertThat(condition(down, "Quorate", Condition::getStatus)).isEqualTo("Unknown");
        assertThat(condition(down, "CorosyncReachable", Condition::getReason)).isEqualTo("CorosyncUnreachable");
    }

    @Test
    void aMissingCorosyncLibraryIsNamedInTheReason() {
        QuorumStatusStatus down = AgentStatus.compose(
                "k1",
                new CorosyncView.Unreachable(
                        "libcmap.so.4 cannot be loaded: install corosync's client library (libcmap4 on Debian and Ubuntu, "
                                + "corosynclib on Fedora and RHEL) on this node.",
                        true),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                NONE,
                null,
                T0);

        assertThat(condition(down, "CorosyncReachable", Condition::getStatus)).isEqualTo("False");
        assertThat(condition(down, "CorosyncReachable", Condition::getReason)).isEqualTo("CorosyncLibraryMissing");
        assertThat(condition(down, "CorosyncReachable", Condition::getMessage)).contains("libcmap4");
        assertThat(condition(down, "Quorate", Condition::getStatus)).isEqualTo("Unknown");
    }

    @Test
    void appliedVotesStayReportedUntilANewApplication() {
        ApplyOutcome applied = new ApplyOutcome(
                Conditions.Status.True, "Applied", "ok", Optional.of(new AppliedVotes(2, null, 3L)), 3L);
        QuorumStatusStatus first = AgentStatus.compose(
                "k1", new CorosyncView.Reachable(snapshot(true, 4, 1, 2, 3)), applied, OFF, NONE, null, T0);
        QuorumStatusStatus waiting = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(false, 8, 1)),
                new ApplyOutcome(Conditions.Status.False, "NotQuorate", "wait", Optional.empty(), 4L),
                OFF,
                NONE,
                first,
                T0);
        assertThat(waiting.getApplied()).isEqualTo(new AppliedVotes(2, null, 3L));
        assertThat(waiting.getObservedGeneration()).isEqualTo(4L);
        assertThat(condition(waiting, "Applied", Condition::getReason)).isEqualTo("NotQuorate");
    }

    @Test
    void theWatchdogReportGoesIntoTheStatusWithItsCondition() {
        WatchdogStatus armed = new WatchdogStatus("/dev/watchdog", 10, WatchdogState.Armed, "30s", null, "fed");
        QuorumStatusStatus status = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(true, 4, 1, 2, 3)),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                Optional.of(armed),
                null,
                T0);
        assertThat(status.getWatchdog()).isEqualTo(armed);
        assertThat(condition(status, "Watchdog", Condition::getStatus)).isEqualTo("True");
        assertThat(condition(status, "Watchdog", Condition::getReason)).isEqualTo("Armed");

        WatchdogStatus expiring = new WatchdogStatus(
                "/dev/watchdog", 10, WatchdogState.Expiring, "30s", "2026-01-01T00:00:40Z", "feeding stops");
        QuorumStatusStatus lost = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(false, 8, 1)),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                Optional.of(expiring),
                status,
                T0.plusSeconds(10));
        assertThat(lost.getWatchdog().feedsUntil()).isEqualTo("2026-01-01T00:00:40Z");
        assertThat(condition(lost, "Watchdog", Condition::getStatus)).isEqualTo("False");
        assertThat(condition(lost, "Watchdog", Condition::getReason)).isEqualTo("Expiring");
        assertThat(condition(lost, "Watchdog", Condition::getLastTransitionTime))
                .isEqualTo("2026-01-01T00:00:10Z");

        QuorumStatusStatus never = AgentStatus.compose(
                "k1",
                new CorosyncView.Reachable(snapshot(true, 4, 1, 2, 3)),
                ApplyOutcome.nothingRequested(1L),
                OFF,
                NONE,
                null,
                T0);
        assertThat(never.getWatchdog()).isNull();
        assertThat(condition(never, "Watchdog", Condition::getType)).isEqualTo("missing");
    }
}
