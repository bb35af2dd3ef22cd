package io.votequorum.fencing;

import java.time.Instant;
import java.util.Optional;

/**
 * A Kubernetes Node of the corosync cluster as the decision needs it.
 *
 * @param corosyncId    the corosync node id it maps to; empty when it maps to none
 * @param paused        the votequorum.io/paused annotation is set on it
 * @param record        what the operator has done to it so far
 * @param lastHeartbeat when its agent last renewed its Lease
 * @param selfFenceDeadline when its agent said it would have fenced itself, if it did
 */
public record NodeFacts(String name, Optional<Long> corosyncId, boolean paused, Optional<FenceRecord> record,
        Optional<Instant> lastHeartbeat, Optional<Instant> selfFenceDeadline) {
}
