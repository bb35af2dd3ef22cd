package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.Condition;
import io.votequorum.model.Conditions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * noQuorumAction SelfFence on this node. The spec's selfFenceAfter arms it; after that long without
 * quorum the agent fences its node. The deadline it reports is a promise made at the point of no
 * return: the action is already under way, and the node is down by then. Pure: the agent feeds it
 * what it knows and carries out what it says.
 */
public sealed interface SelfFence {

    String CONDITION = "SelfFence";

    /** The spec does not ask for self-fencing. */
    record Disarmed() implements SelfFence {}

    /** Armed, and the node has quorum (or corosync has not said otherwise). */
    record Armed(Duration after) implements SelfFence {}

    /** Without quorum since {@code since}: the node fences itself at since + after unless quorum returns. */
    record WithoutQuorum(Duration after, Instant since) implements SelfFence {
        Instant fencesAt() {
            return since.plus(after);
        }
    }

    /** The action is under way; the node is down by {@code downBy}. */
    record Fencing(Instant downBy, String action) implements SelfFence {}

    /** The action failed: the node is not known to be down, so no deadline is reported. */
    record Failed(String message) implements SelfFence {}

    /**
     * The next state. {@code quorate} is empty while corosync cannot be reached: that neither starts
     * nor ends a time without quorum. Once fencing has started (or failed) only regained quorum ends it.
     */
    static SelfFence next(SelfFence current, Optional<Duration> after, Optional<Boolean> quorate, Instant now) {
        if ((current instanceof Fencing || current instanceof Failed) && !quorate.orElse(false)) {
            return current;
        }
        if (after.isEmpty()) {
            return new Disarmed();
        }
        if (quorate.isPresent() && !quorate.get()) {
            Instant since = current instanceof WithoutQuorum w ? w.since() : now;
            return new WithoutQuorum(after.get(), since);
        }
        if (quorate.isEmpty() && current instanceof WithoutQuorum w) {
            return new WithoutQuorum(after.get(), w.since());
        }
        return new Armed(after.get());
    }

    /** When the node has been without quorum for selfFenceAfter: fence now, down by now + timeout. */
    static Optional<SelfFence> due(SelfFence current, Instant now, Duration timeout, String action) {
        if (current instanceof WithoutQuorum w && !now.isBefore(w.fencesAt())) {
            Instant deadline = now.plus(timeout);
            // Reported at second precision: round up, so the promise is never earlier than the truth.
            return Optional.of(new Fencing(
                    Instant.ofEpochSecond(deadline.getEpochSecond() + (deadline.getNano() > 0 ? 1 : 0)), action));
        }
        return Optional.empty();
    }

    /** The deadline the status reports, only while the action is under way or done. */
    default Optional<Instant> deadline() {
        return this instanceof Fencing f ? Optional.of(f.downBy()) : Optional.empty();
    }

    /** The SelfFence condition; none while the spec does not ask for self-fencing. */
    default Optional<Condition> condition(Long generation) {
        if (this instanceof Armed a) {
            return Optional.of(Conditions.of(
                    CONDITION,
                    Conditions.Status.False,
                    "Armed",
                    "this node fences itself " + "after " + a.after().toSeconds() + "s without quorum",
                    generation));
        }
        if (this instanceof WithoutQuorum w) {
            return Optional.of(Conditions.of(
                    CONDITION,
                    Conditions.Status.False,
                    "WithoutQuorum",
                    "without quorum "
                            + "since " + Conditions.timestamp(w.since()) + "; this node fences itself at "
                            + Conditions.timestamp(w.fencesAt()) + " unless quorum returns",
                    generation));
        }
        if (this instanceof Fencing f) {
            return Optional.of(Conditions.of(
                    CONDITION,
                    Conditions.Status.True,
                    "Fencing",
                    "fencing this node (" + f.action() + "); it is down by " + Conditions.timestamp(f.downBy()),
                    generation));
        }
        if (this instanceof Failed f) {
            return Optional.of(Conditions.of(
                    CONDITION,
                    Conditions.Status.False,
                    "ActionFailed",
                    f.message() + "; the node is not known to be down; its watchdog, if armed, still stops being fed",
                    generation));
        }
        return Optional.empty();
    }
}
