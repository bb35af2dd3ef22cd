package io.votequorum.corosync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuorumSnapshotTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static final CorosyncConfig CONFIG = new CorosyncConfig(
            "edge",
            1,
            List.of(
                    new CorosyncConfig.NodeEntry(1, Optional.of("n1"), List.of("10.0.0.1")),
                    new CorosyncConfig.NodeEntry(2, Optional.of("n2"), List.of("10.0.0.2")),
                    new CorosyncConfig.NodeEntry(3, Optional.empty(), List.of("10.0.0.3"))),
            1000,
            1200,
            new CorosyncConfig.QuorumOptions("corosync_votequorum", false, false, false, false, Map.of()));

    private static QuorumInfo local(boolean quorate) {
        return new QuorumInfo(
                1,
                NodeState.MEMBER,
                1,
                3,
                3,
                quorate ? 2 : 1,
                2,
                quorate ? Set.of(VotequorumFlag.QUORATE) : Set.of(),
                0,
                Optional.empty());
    }

    private static QuorumEvent.QuorumChanged quorum(Instant at, boolean quorate, NodeStatus... nodes) {
        return new QuorumEvent.QuorumChanged(at, quorate, List.of(nodes));
    }

    private static QuorumEvent.MembershipChanged membership(Instant at, long seq, Long... members) {
        return new QuorumEvent.MembershipChanged(at, new RingId(1, seq), List.of(members));
    }

    @Test
    void aRegisteredQuorumDeviceListedAsNodeZeroIsNoNode() {
        QuorumSnapshot snapshot = QuorumSnapshot.of(
                CONFIG,
                local(true),
                Optional.of(quorum(
                        T0,
                        true,
                        new NodeStatus(0, NodeState.MEMBER),
                        new NodeStatus(1, NodeState.MEMBER),
                        new NodeStatus(2, NodeState.MEMBER))),
                Optional.of(membership(T0, 0x12, 1L, 2L)),
                id -> 1);
        assertThat(snapshot.nodes()).extracting(QuorumSnapshot.Node::nodeId).containsExactly(1L, 2L, 3L);
        assertThat(snapshot.members()).extracting(QuorumSnapshot.Node::nodeId).containsExactly(1L, 2L);
    }

    @Test
    void theQuorumCallbackGivesEveryNodeItsStateAndTheNodelistGivesTheRing() {
        QuorumSnapshot snapshot = QuorumSnapshot.of(
                CONFIG,
                local(true),
                Optional.of(quorum(
                        T0.plusMillis(1),
                        true,
                        new NodeStatus(1, NodeState.MEMBER),
                        new NodeStatus(2, NodeState.MEMBER),
                        new NodeStatus(3, NodeState.DEAD))),
                Optional.of(membership(T0, 0x11, 1L, 2L)),
                id -> id == 2 ? 2 : 1);

        assertThat(snapshot.ring()).contains(new RingId(1, 0x11));
        assertThat(snapshot.quorate()).isTrue();
        assertThat(snapshot.nodes())
                .containsExactly(
                        new QuorumSnapshot.Node(1, Optional.of("n1"), 1, NodeState.MEMBER),
                        new QuorumSnapshot.Node(2, Optional.of("n2"), 2, NodeState.MEMBER),
                        new QuorumSnapshot.Node(3, Optional.empty(), 1, NodeState.DEAD));
        assertThat(snapshot.members()).extracting(QuorumSnapshot.Node::nodeId).containsExactly(1L, 2L);
    }

    @Test
    void aNewerMembershipWinsOverAnOlderQuorumCallback() {
        QuorumSnapshot snapshot = QuorumSnapshot.of(
                CONFIG,
                local(false),
                Optional.of(quorum(
                        T0,
                        true,
                        new NodeStatus(1, NodeState.MEMBER),
                        new NodeStatus(2, NodeState.MEMBER),
                        new NodeStatus(3, NodeState.MEMBER))),
                Optional.of(membership(T0.plusMillis(5), 0x15, 1L)),
                id -> 1);

        assertThat(snapshot.members()).extracting(QuorumSnapshot.Node::nodeId).containsExactly(1L);
        assertThat(snapshot.nodes())
                .extracting(QuorumSnapshot.Node::state)
                .containsExactly(NodeState.MEMBER, NodeState.DEAD, NodeState.DEAD);
        assertThat(snapshot.quorate())
                .as("getinfo, read after both callbacks, decides")
                .isFalse();
    }

    @Test
    void beforeAnyCallbackTheNodeSeesOnlyItselfAsAMember() {
        QuorumSnapshot snapshot = QuorumSnapshot.of(CONFIG, local(false), Optional.empty(), Optional.empty(), id -> 1);
        assertThat(snapshot.ring()).isEmpty();
        assertThat(snapshot.members())
                .containsExactly(new QuorumSnapshot.Node(1, Optional.of("n1"), 1, NodeState.MEMBER));
        assertThat(snapshot.nodes())
                .extracting(QuorumSnapshot.Node::state)
                .containsExactly(NodeState.MEMBER, NodeState.DEAD, NodeState.DEAD);
    }

    @Test
    void nodelistNodesVotequorumNeverSawAreDeadWithTheirConfiguredVotes() {
        CorosyncConfig config = new CorosyncConfig(
                "edge",
                1,
                List.of(
                        new CorosyncConfig.NodeEntry(1, Optional.of("n1"), List.of("10.0.0.1")),
                        new CorosyncConfig.NodeEntry(2, Optional.of("n2"), List.of("10.0.0.2"), 3),
                        new CorosyncConfig.NodeEntry(4, Optional.of("n4"), List.of("10.0.0.4"), 2)),
                1000,
                1200,
                CONFIG.quorum());
        QuorumSnapshot snapshot = QuorumSnapshot.of(
                config,
                local(true),
                Optional.of(quorum(T0, true, new NodeStatus(1, NodeState.MEMBER), new NodeStatus(2, NodeState.DEAD))),
                Optional.of(membership(T0, 0x20, 1L)),
                id -> id == 2 ? 0 : 1);

        assertThat(snapshot.nodes())
                .containsExactly(
                        new QuorumSnapshot.Node(1, Optional.of("n1"), 1, NodeState.MEMBER),
                        new QuorumSnapshot.Node(2, Optional.of("n2"), 0, NodeState.DEAD),
                        new QuorumSnapshot.Node(4, Optional.of("n4"), 2, NodeState.DEAD));
        assertThat(snapshot.members()).extracting(QuorumSnapshot.Node::nodeId).containsExactly(1L);
        assertThat(new CorosyncConfig.NodeEntry(5, Optional.empty(), List.of()).votes())
                .as("corosync's default")
                .isEqualTo(1);
    }
}
