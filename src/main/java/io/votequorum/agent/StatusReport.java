package io.votequorum.agent;

import io.votequorum.corosync.NodeState;
import io.votequorum.corosync.QuorumInfo;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.VotequorumFlag;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.Qdevice;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.RingId;
import java.util.List;

/** Turns a node's votequorum snapshot into the QuorumStatus status fields. */
public final class StatusReport {

    private StatusReport() {}

    /** The fields corosync knows; the agent adds conditions, applied votes and transition times. */
    public static QuorumStatusStatus toStatus(QuorumSnapshot snapshot, String nodeName) {
        QuorumInfo local = snapshot.local();
        QuorumStatusStatus status = new QuorumStatusStatus();
        status.setNodeName(nodeName);
        status.setNodeId(
                snapshot.config().localNodeId() != 0 ? snapshot.config().localNodeId() : local.nodeId());
        status.setClusterName(snapshot.config().clusterName());
        status.setQuorate(snapshot.quorate());
        snapshot.ring().ifPresent(ring -> status.setRingId(new RingId(ring.nodeId(), ring.seq())));
        status.setNodeVotes(local.votes());
        status.setExpectedVotes(local.expectedVotes());
        status.setHighestExpected(local.highestExpected());
        status.setTotalVotes(local.totalVotes());
        status.setQuorum(local.quorum());
        status.setFlags(local.flags().stream().sorted().map(StatusReport::flag).toList());
        if (local.has(VotequorumFlag.QDEVICE_REGISTERED) || local.qdeviceName().isPresent()) {
            status.setQdevice(new Qdevice(
                    local.qdeviceName().orElse(""),
                    local.qdeviceVotes(),
                    local.has(VotequorumFlag.QDEVICE_ALIVE),
                    local.has(VotequorumFlag.QDEVICE_CAST_VOTE),
                    local.has(VotequorumFlag.QDEVICE_MASTER_WINS)));
        }
        List<Member> members = snapshot.nodes().stream()
                .map(n -> new Member(n.nodeId(), n.name().orElse(null), n.votes(), state(n.state())))
                .toList();
        status.setMembers(members);
        status.setMemberCount((int)
                members.stream().filter(m -> m.state() == MemberState.Member).count());
        return status;
    }

    /** The Kubernetes node a corosync node maps to by default: its corosync name. */
    public static String defaultNodeName(QuorumSnapshot snapshot) {
        return snapshot.config()
                .localName()
                .orElse("nodeid-" + snapshot.config().localNodeId());
    }

    static QuorumFlag flag(VotequorumFlag flag) {
        return switch (flag) {
            case TWO_NODE -> QuorumFlag.TwoNode;
            case QUORATE -> QuorumFlag.Quorate;
            case WAIT_FOR_ALL -> QuorumFlag.WaitForAll;
            case LAST_MAN_STANDING -> QuorumFlag.LastManStanding;
            case AUTO_TIE_BREAKER -> QuorumFlag.AutoTieBreaker;
            case ALLOW_DOWNSCALE -> QuorumFlag.AllowDownscale;
            case QDEVICE_REGISTERED -> QuorumFlag.QdeviceRegistered;
            case QDEVICE_ALIVE -> QuorumFlag.QdeviceAlive;
            case QDEVICE_CAST_VOTE -> QuorumFlag.QdeviceCastVote;
            case QDEVICE_MASTER_WINS -> QuorumFlag.QdeviceMasterWins;
        };
    }

    /** A state votequorum does not name counts as not a member. */
    static MemberState state(NodeState state) {
        return switch (state) {
            case MEMBER -> MemberState.Member;
            case LEAVING -> MemberState.Leaving;
            case DEAD, UNKNOWN -> MemberState.Dead;
        };
    }
}
