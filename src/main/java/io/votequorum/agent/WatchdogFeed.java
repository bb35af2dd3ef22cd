package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.Condition;
import io.votequorum.model.Conditions;
import io.votequorum.model.WatchdogState;
import io.votequorum.model.WatchdogStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When the agent feeds the watchdog that backs self-fencing. Pure: the agent hands it what it knows
 * and feeds the device only when {@link #feeds} says so.
 *
 * <p>The guarantee the operator builds on: the device is never fed after the last time corosync
 * confirmed this node quorate plus the selfFenceAfter the status reports. Without a fresh confirmation
 * the state only moves towards Expired; a spec change can neither disarm nor lengthen it then.
 */
public sealed interface WatchdogFeed {

    String CONDITION = "Watchdog";

    /** How often corosync is asked while self-fencing is on. */
    Duration PROBE = Duration.ofSeconds(1);

    /** A confirmation older than this no longer means "quorate now": corosync has stopped answering. */
    Duration FRESH = PROBE.multipliedBy(2);

    /**
     * What the agent knows at one moment. {@code spec} is the spec's selfFenceAfter, {@code acknowledged}
     * the one in the last status the API server took, {@code lastQuorate} when corosync last confirmed
     * quorum (asked at that time), {@code quorate} whether its latest answer said so (false while it
     * cannot be reached), and {@code deviceProblem} why the device cannot be used.
     */
    record Inputs(
            Optional<Duration> spec,
            Optional<Duration> acknowledged,
            Optional<Instant> lastQuorate,
            boolean quorate,
            Optional<String> deviceProblem) {

        boolean freshlyQuorate(Instant now) {
            return quorate
                    && lastQuorate.isPresent()
                    && !now.isAfter(lastQuorate.get().plus(FRESH));
        }

        /** A larger selfFenceAfter counts only once the report carrying it has been acknowledged. */
        Optional<Duration> inForce() {
            return spec.map(s -> acknowledged.filter(a -> a.compareTo(s) < 0).orElse(s));
        }
    }

    /** Self-fencing has never been on: nothing to report. */
    record Off() implements WatchdogFeed {}

    /** The device is closed (with the magic close if it was open); {@code reported} while self-fencing is on. */
    record Disarmed(Optional<Duration> reported, String message) implements WatchdogFeed {}

    /** Self-fencing is on but the device cannot be used; the node never counts as self-fenced. */
    record Unavailable(Duration reported, String message) implements WatchdogFeed {}

    /** Fed until {@code confirmed + after}; {@code after} is at most {@code reported}. */
    record Armed(Duration after, Duration reported, Instant confirmed) implements WatchdogFeed {
        Instant feedsUntil() {
            return confirmed.plus(after);
        }
    }

    /** corosync no longer confirms quorum: fed until {@code feedsUntil}, and not once after. */
    record Expiring(Duration reported, Instant confirmed, Instant feedsUntil) implements WatchdogFeed {}

    /** Feeding has stopped for good, until corosync confirms quorum again. */
    record Expired(Duration reported, Instant confirmed, Instant feedsUntil) implements WatchdogFeed {}

    /** The next state. */
    static WatchdogFeed next(WatchdogFeed current, Inputs in, Instant now) {
        boolean fresh = in.freshlyQuorate(now);
        // One way until quorum is confirmed after the loss: a spec change neither disarms nor lengthens.
        if (current instanceof Expiring || current instanceof Expired) {
            Instant confirmed = current instanceof Expiring e ? e.confirmed() : ((Expired) current).confirmed();
            if (!(fresh && in.lastQuorate().get().isAfter(confirmed))) {
                return expire(current, in, now);
            }
        } else if (current instanceof Armed a && !fresh) {
            return expire(new Expiring(a.reported(), a.confirmed(), a.feedsUntil()), in, now);
        }
        if (in.spec().isEmpty()) {
            return current instanceof Off
                    ? current
                    : new Disarmed(Optional.empty(), "self-fencing is off; the device is closed with the magic close");
        }
        Duration reported = in.spec().get();
        if (in.deviceProblem().isPresent()) {
            return new Unavailable(reported, in.deviceProblem().get());
        }
        if (fresh) {
            return new Armed(in.inForce().get(), reported, in.lastQuorate().get());
        }
        return new Disarmed(Optional.of(reported), "waiting for corosync to confirm quorum before arming the device");
    }

    /** Expiring turns Expired at feedsUntil; a broken device ends the promise (the operator ignores it). */
    private static WatchdogFeed expire(WatchdogFeed current, Inputs in, Instant now) {
        Duration reported = current instanceof Expiring e ? e.reported() : ((Expired) current).reported();
        if (in.deviceProblem().isPresent()) {
            return new Unavailable(reported, in.deviceProblem().get());
        }
        if (current instanceof Expiring e && !now.isBefore(e.feedsUntil())) {
            return new Expired(e.reported(), e.confirmed(), e.feedsUntil());
        }
        return current;
    }

    /** Whether to feed the device at {@code now}: only strictly before the state's feedsUntil. */
    default boolean feeds(Instant now) {
        if (this instanceof Armed a) {
            return now.isBefore(a.feedsUntil());
        }
        return this instanceof Expiring e && now.isBefore(e.feedsUntil());
    }

    /** Whether the device should be open: from arming until quorum is back and self-fencing is off. */
    default boolean holdsDevice() {
        return this instanceof Armed || this instanceof Expiring || this instanceof Expired;
    }

    default WatchdogState state() {
        if (this instanceof Armed) {
            return WatchdogState.Armed;
        }
        if (this instanceof Expiring) {
            return WatchdogState.Expiring;
        }
        if (this instanceof Expired) {
            return WatchdogState.Expired;
        }
        return this instanceof Unavailable ? WatchdogState.Unavailable : WatchdogState.Disarmed;
    }

    /** The status.watchdog report; none while self-fencing has never been on. */
    default Optional<WatchdogStatus> report(String device, int timeoutSeconds) {
        if (this instanceof Off) {
            return Optional.empty();
        }
        Optional<Duration> reported = Optional.empty();
        Optional<Instant> until = Optional.empty();
        String message;
        if (this instanceof Armed a) {
            reported = Optional.of(a.reported());
            message = "fed while corosync confirms quorum; feeding stops at most " + duration(a.reported())
                    + " after the last confirmation and the device resets the node " + timeoutSeconds + "s later";
        } else if (this instanceof Expiring e) {
            reported = Optional.of(e.reported());
            until = Optional.of(e.feedsUntil());
            message = "corosync last confirmed quorum at " + Conditions.timestamp(e.confirmed()) + "; feeding stops at "
                    + roundUp(e.feedsUntil()) + " and the device resets the node " + timeoutSeconds + "s later";
        } else if (this instanceof Expired e) {
            reported = Optional.of(e.reported());
            until = Optional.of(e.feedsUntil());
            message = "feeding stopped at " + roundUp(e.feedsUntil()) + "; the device resets the node within "
                    + timeoutSeconds + "s";
        } else if (this instanceof Unavailable u) {
            reported = Optional.of(u.reported());
            message = u.message();
        } else {
            Disarmed d = (Disarmed) this;
            reported = d.reported();
            message = d.message();
        }
        return Optional.of(new WatchdogStatus(
                device,
                timeoutSeconds,
                state(),
                reported.map(WatchdogFeed::duration).orElse(null),
                until.map(WatchdogFeed::roundUp).orElse(null),
                message));
    }

    /** The Watchdog condition for a report: True only while Armed. */
    static Condition condition(WatchdogStatus report, Long generation) {
        return Conditions.of(
                CONDITION,
                Conditions.Status.of(report.state() == WatchdogState.Armed),
                report.state().name(),
                report.message(),
                generation);
    }

    /** A duration in the Kubernetes form, such as 30s or 1500ms. */
    static String duration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** At second precision, rounded up: the reported time is never earlier than the true one. */
    static String roundUp(Instant at) {
        return Conditions.timestamp(Instant.ofEpochSecond(at.getEpochSecond() + (at.getNano() > 0 ? 1 : 0)));
    }
}
