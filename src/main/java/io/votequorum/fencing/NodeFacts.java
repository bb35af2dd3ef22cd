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
 * @param lastSignOfLife the latest time the node was seen alive: its kubelet's heartbeat in the Node's
 *                     Ready condition, its agent's heartbeat Lease (each by the node's own clock)
 * @param bootId       the boot its kubelet last reported (status.nodeInfo.bootID): a new one means the
 *                     node started again
 */
public record NodeFacts(
        String name,
        Optional<Long> corosyncId,
        boolean paused,
        Optional<FenceRecord> record,
        Optional<SelfFencing> selfFencing,
        Optional<Instant> confirmedOff,
        List<OtherFence> otherFences,
        Optional<Instant> lastSignOfLife,
        Optional<String> bootId) {

    public NodeFacts {
        otherFences = List.copyOf(otherFences);
    }

    /** A node whose signs of life are not known. */
    public NodeFacts(
            String name,
            Optional<Long> corosyncId,
            boolean paused,
            Optional<FenceRecord> record,
            Optional<SelfFencing> selfFencing,
            Optional<Instant> confirmedOff,
            List<OtherFence> otherFences) {
        this(
                name,
                corosyncId,
                paused,
                record,
                selfFencing,
                confirmedOff,
                otherFences,
                Optional.empty(),
                Optional.empty());
    }

    /** A node whose boot is not known. */
    public NodeFacts(
            String name,
            Optional<Long> corosyncId,
            boolean paused,
            Optional<FenceRecord> record,
            Optional<SelfFencing> selfFencing,
            Optional<Instant> confirmedOff,
            List<OtherFence> otherFences,
            Optional<Instant> lastSignOfLife) {
        this(
                name,
                corosyncId,
                paused,
                record,
                selfFencing,
                confirmedOff,
                otherFences,
                lastSignOfLife,
                Optional.empty());
    }

    /** Whether the node booted again since the boot the record is about. */
    boolean bootedSince(FenceRecord record) {
        return bootId.isPresent() && record.bootId().isPresent() && !bootId.equals(record.bootId());
    }

    /** Whether the node was seen alive after {@code at}: evidence from before then says nothing of now. */
    boolean aliveAfter(Instant at) {
        return lastSignOfLife.filter(seen -> seen.isAfter(at)).isPresent();
    }

    /** A node no other fencer reports. */
    public NodeFacts(
            String name,
            Optional<Long> corosyncId,
            boolean paused,
            Optional<FenceRecord> record,
            Optional<SelfFencing> selfFencing,
            Optional<Instant> confirmedOff) {
        this(
                name,
                corosyncId,
                paused,
                record,
                selfFencing,
                confirmedOff,
                List.of(),
                Optional.empty(),
                Optional.empty());
    }

    /**
     * Self-fencing backed by a watchdog: the agent stops feeding {@code device} at most {@code after}
     * after corosync last confirmed quorum, and the device resets the node {@code timeout} later;
     * {@code vouchedUntil} is when the heartbeat of the report that says so stopped vouching for it.
     */
    public record SelfFencing(String device, Duration after, Duration timeout, Optional<Instant> vouchedUntil) {

        /**
         * Whether the report said so while it was current when the node left: its heartbeat Lease was
         * fresh at {@code absent}. A report from before (before a reboot, before a stretch without the
         * API server) says nothing of the node as it left.
         */
        boolean currentAt(Instant absent) {
            return vouchedUntil.filter(until -> until.isAfter(absent)).isPresent();
        }
    }
}
