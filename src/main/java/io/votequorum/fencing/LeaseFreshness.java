package io.votequorum.fencing;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A heartbeat Lease is fresh while its last renewal plus its duration lies in the future. And the
 * cluster has a pulse while some agent renewed its Lease within the last half of its duration: agents
 * renew every few seconds, so when none has for that long, the API server (or the operator's view of
 * it) was away, and every report may lag what corosync did meanwhile, though each Lease is still valid.
 */
public final class LeaseFreshness {

    private LeaseFreshness() {}

    public static boolean fresh(Optional<Instant> renewTime, Optional<Integer> durationSeconds, Instant now) {
        if (renewTime.isEmpty() || durationSeconds.isEmpty()) {
            return false;
        }
        return now.isBefore(renewTime.get().plus(Duration.ofSeconds(durationSeconds.get())));
    }

    /** Whether this renewal is within the last half of the Lease's duration: the cluster's pulse. */
    public static boolean recent(Optional<Instant> renewTime, Optional<Integer> durationSeconds, Instant now) {
        if (renewTime.isEmpty() || durationSeconds.isEmpty()) {
            return false;
        }
        return now.isBefore(
                renewTime.get().plus(Duration.ofSeconds(durationSeconds.get()).dividedBy(2)));
    }
}
