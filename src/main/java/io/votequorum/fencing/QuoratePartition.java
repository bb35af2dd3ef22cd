package io.votequorum.fencing;

import io.votequorum.model.RingId;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The partition that holds quorum: its ring, its members (corosync node ids) and its votes.
 *
 * @param memberVotes each member's votes, as its reports list them
 * @param totalVotes  the partition's votes as corosync counts them: the members' and a quorum device's cast vote
 * @param absentSince for each node outside the partition, the latest time one of its members' agents
 *                    saw it leave (by that agent's clock): no member has seen it in its ring since. The
 *                    latest, not the earliest: an agent that was cut off itself stamped every other node
 *                    from its own isolation, and saw nothing of what they did in between. Nodes that a
 *                    member lists without a time are missing
 * @param undated     nodes outside the partition whose absence cannot be dated for sure: some member
 *                    has no fresh report, or does not say when it saw the node leave. The latest stamp
 *                    of the others may come from a member that was itself cut off at the time
 */
public record QuoratePartition(
        RingId ring,
        Set<Long> members,
        int totalVotes,
        int quorum,
        Map<Long, Integer> memberVotes,
        Map<Long, Instant> absentSince,
        Set<Long> undated) {

    public QuoratePartition {
        members = Set.copyOf(members);
        memberVotes = Map.copyOf(memberVotes);
        absentSince = Map.copyOf(absentSince);
        undated = Set.copyOf(undated);
    }

    /** Whether the node's absence is dated by every member of the partition. */
    public boolean dated(long node) {
        return absentSince.containsKey(node) && !undated.contains(node);
    }

    /** A partition whose agents do not say when they saw the others leave. */
    public QuoratePartition(
            RingId ring, Set<Long> members, int totalVotes, int quorum, Map<Long, Integer> memberVotes) {
        this(ring, members, totalVotes, quorum, memberVotes, Map.of(), Set.of());
    }

    /** A partition of one-vote members. */
    public QuoratePartition(RingId ring, Set<Long> members, int totalVotes, int quorum) {
        this(ring, members, totalVotes, quorum, members.stream().collect(Collectors.toMap(m -> m, m -> 1)));
    }

    /** Votes the partition can lose and stay quorate. */
    public int votesToSpare() {
        return totalVotes - quorum;
    }
}
