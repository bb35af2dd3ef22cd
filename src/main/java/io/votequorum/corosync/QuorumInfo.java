package io.votequorum.corosync;

import java.util.Optional;
import java.util.Set;

/** struct votequorum_info: one node's votes and the cluster's quorum figures as votequorum reports them. */
public record QuorumInfo(
        long nodeId,
        NodeState state,
        int votes,
        int expectedVotes,
        int highestExpected,
        int totalVotes,
        int quorum,
        Set<VotequorumFlag> flags,
        int qdeviceVotes,
        Optional<String> qdeviceName) {

    public QuorumInfo {
        flags = Set.copyOf(flags);
    }

    public boolean quorate() {
        return flags.contains(VotequorumFlag.QUORATE);
    }

    public boolean has(VotequorumFlag flag) {
        return flags.contains(flag);
    }
}
