package io.votequorum.fencing;

import io.votequorum.model.RingId;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One node's QuorumStatus as the decision needs it: what its agent last reported, and whether the
 * agent's heartbeat Lease is fresh.
 *
 * @param quorate empty when the agent cannot reach corosync
 * @param members corosync node ids in MEMBER state, as this node sees them
 * @param votes   what the report says about the whole cluster's votes, beyond this partition
 * @param outsideSince for each node outside this node's partition, when this node's agent saw it
 *                     leave (by its clock); nodes it does not say this of are missing
 */
public record Report(
        String nodeName,
        long nodeId,
        Optional<Boolean> quorate,
        Optional<RingId> ring,
        Set<Long> members,
        int totalVotes,
        int quorum,
        boolean fresh,
        Votes votes,
        Map<Long, Instant> outsideSince) {

    /**
     * The cluster's votes as one node sees them.
     *
     * @param nodelist        every node this report lists (members, dead and leaving: the whole nodelist)
     *                        with its votes
     * @param expectedVotes   expected votes in force on this node (0 when unknown)
     * @param qdeviceVotes    the quorum device's votes, 0 without one
     * @param qdeviceCastVote the quorum device casts its vote for this node's partition
     * @param autoTieBreaker  corosync's auto_tie_breaker is on
     * @param twoNode         corosync's two_node is on
     * @param deviceVoteLife  how long corosync may keep counting a quorum device's cast vote after the
     *                        poll that cast it (its timeout plus sync_timeout); zero without a device
     * @param leaseDevice     the Lease device, when this node's agent runs it as the quorum device
     */
    public record Votes(
            Map<Long, Integer> nodelist,
            int expectedVotes,
            int qdeviceVotes,
            boolean qdeviceCastVote,
            boolean autoTieBreaker,
            boolean twoNode,
            Duration deviceVoteLife,
            Optional<LeaseDevice> leaseDevice) {

        public Votes {
            nodelist = Map.copyOf(nodelist);
        }

        /** Votes without the Lease device. */
        public Votes(
                Map<Long, Integer> nodelist,
                int expectedVotes,
                int qdeviceVotes,
                boolean qdeviceCastVote,
                boolean autoTieBreaker,
                boolean twoNode,
                Duration deviceVoteLife) {
            this(
                    nodelist,
                    expectedVotes,
                    qdeviceVotes,
                    qdeviceCastVote,
                    autoTieBreaker,
                    twoNode,
                    deviceVoteLife,
                    Optional.empty());
        }

        /** Votes of a cluster whose quorum device timings are not reported. */
        public Votes(
                Map<Long, Integer> nodelist,
                int expectedVotes,
                int qdeviceVotes,
                boolean qdeviceCastVote,
                boolean autoTieBreaker,
                boolean twoNode) {
            this(
                    nodelist,
                    expectedVotes,
                    qdeviceVotes,
                    qdeviceCastVote,
                    autoTieBreaker,
                    twoNode,
                    qdeviceVotes > 0 ? DEFAULT_DEVICE_VOTE_LIFE : Duration.ZERO);
        }

        /** A cluster of one-vote nodes without a quorum device or tie-breaker: the given nodes, one vote each. */
        public static Votes oneEach(Set<Long> nodes) {
            return new Votes(
                    nodes.stream().collect(Collectors.toMap(Function.identity(), id -> 1)),
                    nodes.size(),
                    0,
                    false,
                    false,
                    false);
        }
    }

    /**
     * The Lease device as a node's agent runs it.
     *
     * @param holder the corosync node that holds the device's Lease, as the agent last saw it; empty
     *               when no node holds it or the agent has not seen it
     */
    public record LeaseDevice(OptionalLong holder) {}

    /** corosync's defaults for quorum.device: timeout 10 s plus sync_timeout 30 s. */
    public static final Duration DEFAULT_DEVICE_VOTE_LIFE = Duration.ofSeconds(40);

    public Report {
        members = Set.copyOf(members);
        outsideSince = Map.copyOf(outsideSince);
    }

    /** A report that does not say when its agent saw the other nodes leave. */
    public Report(
            String nodeName,
            long nodeId,
            Optional<Boolean> quorate,
            Optional<RingId> ring,
            Set<Long> members,
            int totalVotes,
            int quorum,
            boolean fresh,
            Votes votes) {
        this(nodeName, nodeId, quorate, ring, members, totalVotes, quorum, fresh, votes, Map.of());
    }

    /** A report from a cluster of one-vote nodes without a quorum device: its members are all it lists. */
    public Report(
            String nodeName,
            long nodeId,
            Optional<Boolean> quorate,
            Optional<RingId> ring,
            Set<Long> members,
            int totalVotes,
            int quorum,
            boolean fresh) {
        this(nodeName, nodeId, quorate, ring, members, totalVotes, quorum, fresh, Votes.oneEach(members));
    }

    /** Nodes this report lists outside its partition without saying when its agent saw them leave. */
    Set<Long> unstamped() {
        Set<Long> listed = new TreeSet<>(votes.nodelist().keySet());
        listed.removeAll(members);
        listed.removeAll(outsideSince.keySet());
        listed.remove(nodeId);
        return listed;
    }

    /**
     * Why this report's quorum is a vote the Lease device no longer casts for its ring, or empty. Its
     * quorum needs the device's vote, and the node that holds the device's Lease is outside its ring:
     * the vote is left from the ring before. Through votequorum's sync after a split, a node keeps the
     * vote it cast until its device polls in the new ring (sync_timeout at most), and reads quorate
     * alone meanwhile; only the Lease holder's partition casts it.
     */
    Optional<String> leftoverDeviceVote() {
        if (!votes.qdeviceCastVote() || votes.leaseDevice().isEmpty()) {
            return Optional.empty();
        }
        int memberVotes = members.stream()
                .mapToInt(id -> votes.nodelist().getOrDefault(id, 1))
                .sum();
        OptionalLong holder = votes.leaseDevice().get().holder();
        if (memberVotes >= quorum || (holder.isPresent() && members.contains(holder.getAsLong()))) {
            return Optional.empty();
        }
        return Optional.of(
                nodeName + "'s quorum in ring " + ring.map(Object::toString).orElse("-")
                        + " rests on the quorum device's vote, but "
                        + (holder.isPresent() ? "node " + holder.getAsLong() + ", outside the ring," : "no node")
                        + " holds the device's Lease: a vote left from the ring before, which corosync counts until the"
                        + " device polls again (sync_timeout at most)");
    }

    /** A fresh report that says quorate and names its ring: the only kind that can make a view. */
    boolean freshQuorate() {
        return fresh && quorate.orElse(false) && ring.isPresent();
    }
}
