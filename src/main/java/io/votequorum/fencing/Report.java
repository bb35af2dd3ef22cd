package io.votequorum.fencing;

import io.votequorum.model.RingId;

import java.util.Optional;
import java.util.Set;

/**
 * One node's QuorumStatus as the decision needs it: what its agent last reported, and whether the
 * agent's heartbeat Lease is fresh.
 *
 * @param quorate empty when the agent cannot reach corosync
 * @param members corosync node ids in MEMBER state, as this node sees them
 */
public record Report(String nodeName, long nodeId, Optional<Boolean> quorate, Optional<RingId> ring,
        Set<Long> members, int totalVotes, int quorum, boolean fresh) {

    public Report {
        members = Set.copyOf(members);
    }

    /** A fresh report that says quorate and names its ring: the only kind that can make a view. */
    boolean freshQuorate() {
        return fresh && quorate.orElse(false) && ring.isPresent();
    }
}
