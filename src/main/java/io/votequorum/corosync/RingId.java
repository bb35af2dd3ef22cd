package io.votequorum.corosync;

/** votequorum_ring_id_t: the node that formed a membership and its sequence number. */
public record RingId(long nodeId, long seq) {

    /** As corosync-quorumtool prints it: both parts in hex. */
    @Override
    public String toString() {
        return Long.toHexString(nodeId) + "." + Long.toHexString(seq);
    }
}
