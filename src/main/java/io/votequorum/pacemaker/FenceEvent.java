package io.votequorum.pacemaker;

import java.time.Instant;
import java.util.Optional;

/**
 * One entry of Pacemaker's fencing history, as its fencer keeps it.
 *
 * @param target    the node fenced, by its Pacemaker name
 * @param action    off, reboot or on
 * @param origin    the node that asked for it
 * @param delegate  the node that carried it out; "a human" for a manual confirmation
 * @param completed when it finished, by the clock of the node that recorded it; empty while pending
 */
public record FenceEvent(
        String target,
        String action,
        State state,
        Optional<String> origin,
        Optional<String> delegate,
        Optional<String> client,
        Optional<Instant> completed,
        Optional<String> exitReason) {

    /** The delegate Pacemaker records for {@code stonith_admin --confirm}: a person's word, not a fence. */
    public static final String MANUAL = "a human";

    /** enum op_state. */
    public enum State {
        QUERY,
        EXEC,
        DONE,
        DUPLICATE,
        FAILED;

        static State of(int value) {
            State[] all = values();
            return value >= 0 && value < all.length ? all[value] : FAILED;
        }
    }

    /** A fence that took the node down: off or reboot, carried out by a device and completed successfully. */
    public boolean tookNodeDown() {
        return state == State.DONE
                && completed.isPresent()
                && ("off".equals(action) || "reboot".equals(action))
                && !manual();
    }

    /** A manual confirmation ({@code stonith_admin --confirm}): no device acted. */
    public boolean manual() {
        return delegate.map(MANUAL::equals).orElse(false);
    }
}
