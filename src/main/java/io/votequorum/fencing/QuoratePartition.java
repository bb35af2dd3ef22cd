package io.votequorum.fencing;

import io.votequorum.model.RingId;
import java.util.Set;

/** The partition that holds quorum: its ring, its members (corosync node ids) and its votes. */
public record QuoratePartition(RingId ring, Set<Long> members, int totalVotes, int quorum) {

    public QuoratePartition {
        members = Set.copyOf(members);
    }

    /** Votes the partition can lose and stay quorate. */
    public int votesToSpare() {
        return totalVotes - quorum;
    }
}
