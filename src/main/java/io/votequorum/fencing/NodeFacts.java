package io.votequorum.fencing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A Kubernetes Node of the corosync cluster as the decision needs it.
 *
 * @param corosyncId   the corosync node id it maps to; empty when it maps to none
 * @param paused       the votequorum.io/paused annotation is set on it
 * @param record       what the operator has done to it so far
 * @param selfFencing  the watchdog-backed self-fencing its agent last reported armed, if any
 * @param confirmedOff when an administrator or another fencer confirmed, by annotation, that it is off
 * @param otherFences  fences of it that another fencer completed, as the agents report them
 */
public record NodeFacts(
        String name,
        Optional<Long> corosyncId,
        boolean paused,
        Optional<FenceRecord> record,
        Optional<SelfFencing> selfFencing,
        Optional<Instant> confirmedOff,
        List<OtherFence> otherFences) {

    public NodeFacts {
        otherFences = List.copyOf(otherFences);
    }

    /** A node no other fencer reports. */
    public NodeFacts(
            String name,
            Optional<Long> corosyncId,
            boolean paused,
            Optional<FenceRecord> record,
            Optional<SelfFencing> selfFencing,
            Optional<Instant> confirmedOff) {
        this(name, corosyncId, paused, record, selfFencing, confirmedOff, List.of());
    }

    /**
     * Self-fencing backed by a watchdog: the agent stops feeding {@code device} at most {@code after}
     * after corosync last confirmed quorum, and the device resets the node {@code timeout} later.
     */
    public record SelfFencing(String device, Duration after, Duration timeout) {}
}
