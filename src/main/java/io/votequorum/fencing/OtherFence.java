package io.votequorum.fencing;

import java.time.Instant;
import java.util.Optional;

/**
 * A fence of a node that another fencer completed, as one agent reports it from that fencer's
 * history (Pacemaker's, read on a quorate node).
 *
 * @param completed     when the fence completed, by the clock of the node that recorded it
 * @param delegate      the node whose device carried it out
 * @param reporterId    the corosync node id of the agent that reported it
 * @param reporterFresh whether that agent's heartbeat Lease is fresh
 */
public record OtherFence(
        String fencer,
        String action,
        Instant completed,
        Optional<String> delegate,
        String reporter,
        long reporterId,
        boolean reporterFresh) {

    /** Reported by a fresh agent of the quorate partition: the only reports the plan believes. */
    boolean believable(QuoratePartition partition) {
        return reporterFresh && partition.members().contains(reporterId);
    }

    String describe() {
        return action + " by " + fencer
                + delegate.map(d -> " (device on " + d + ")").orElse("") + ", completed at " + completed
                + ", reported by " + reporter + "'s agent";
    }
}
