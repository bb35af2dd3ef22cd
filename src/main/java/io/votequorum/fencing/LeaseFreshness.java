package io.votequorum.fencing;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** A heartbeat Lease is fresh while its last renewal plus its duration lies in the future. */
public final class LeaseFreshness {

    private LeaseFreshness() {}

    public static boolean fresh(Optional<Instant> renewTime, Optional<Integer> durationSeconds, Instant now) {
        if (renewTime.isEmpty() || durationSeconds.isEmpty()) {
            return false;
        }
        return now.isBefore(renewTime.get().plus(Duration.ofSeconds(durationSeconds.get())));
    }
}
