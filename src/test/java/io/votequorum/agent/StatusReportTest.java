package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.corosync.CorosyncConfig;
import io.votequorum.corosync.NodeState;
import io.votequorum.corosync.QuorumInfo;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.RingId;
import io.votequorum.corosync.VotequorumFlag;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.Qdevice;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatusStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

public class StatusReportTest {

    static final CorosyncConfig CONFIG = new CorosyncConfig(
            "edge",
            2,
            List.of(
                    new CorosyncConfig.NodeEntry(1, Optional.of("n1"), List.of()),
                    new CorosyncConfig.NodeEntry(2, Optional.of("n2"), List.of())),
            1000,
            1200,
            new CorosyncConfig.QuorumOptions("corosync_votequorum", true, true, false, false, Map.of()));

    /** Two nodes with a quorum device, node 1 dead: also the status CLI's fixture. */
    public static QuorumSnapshot twoNodeWithQdevice() {
        QuorumInfo local = new QuorumInfo(
                2,
                NodeState.MEMBER,
                1,
                3,
                3,
                2,
                2,
                Set.of(
                        VotequorumFlag.TWO_NODE,
                        VotequorumFlag.QUORATE,
                        VotequorumFlag.WAIT_FOR_ALL,
                        VotequorumFlag.QDEVICE_REGISTERED,
                        VotequorumFlag.QDEVICE_ALIVE),
                1,
                Optional.of("Qdevice"));
        return new QuorumSnapshot(
                CONFIG,
                true,
                Optional.of(new RingId(1, 0x2a)),
                local,
                List.of(
                        new QuorumSnapshot.Node(1, Optional.of("n1"), 1, NodeState.DEAD),
                        new QuorumSnapshot.Node(2, Optional.of("n2"), 1, NodeState.MEMBER)));
    }

    @Test
    void everyFieldCorosyncKnowsLandsInTheStatus() {
        QuorumStatusStatus status = StatusReport.toStatus(twoNodeWithQdevice(), "k8s-n2");

        assertThat(status.getNodeName()).isEqualTo("k8s-n2");
        assertThat(status.getNodeId()).isEqualTo(2);
        assertThat(status.getClusterName()).isEqualTo("edge");
        assertThat(status.getQuorate()).isTrue();
        assertThat(status.getRingId()).isEqualTo(new io.votequorum.model.RingId(1, 0x2a));
        assertThat(status.getNodeVotes()).isEqualTo(1);
        assertThat(status.getExpectedVotes()).isEqualTo(3);
        assertThat(status.getTotalVotes()).isEqualTo(2);
        assertThat(status.getQuorum()).isEqualTo(2);
        assertThat(status.getFlags())
                .containsExactly(
                        QuorumFlag.TwoNode,
                        QuorumFlag.Quorate,
                        QuorumFlag.WaitForAll,
                        QuorumFlag.QdeviceRegistered,
                        QuorumFlag.QdeviceAlive);
        assertThat(status.getQdevice()).isEqualTo(new Qdevice("Qdevice", 1, true, false, false));
        assertThat(status.getMembers())
                .containsExactly(new Member(1, "n1", 1, MemberState.Dead), new Member(2, "n2", 1, MemberState.Member));
        assertThat(status.getMemberCount()).isEqualTo(1);
    }
}
