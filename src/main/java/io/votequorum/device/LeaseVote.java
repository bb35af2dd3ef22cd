package io.votequorum.device;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The quorum device backed by a Kubernetes Lease, as one node runs it: whether this node casts the
 * device's vote, and what its partition's leader writes to the Lease. Pure: the time, the membership
 * and the Lease come in as values.
 *
 * <p>The partition's leader is its member with the lowest corosync node id. It alone acquires and
 * renews the Lease, under the identity {@link #identity(long, String)}; every member casts the vote while
 * the Lease names its leader and has enough time left. Enough means that the vote, once cast, lapses
 * in corosync before anyone else may take the Lease over:
 *
 * <ul>
 *   <li>corosync keeps a cast vote for the device's {@code timeout} after the poll that cast it, and
 *       a ring change just before that holds it for {@code sync_timeout} more: {@link
 *       Settings#voteLife()};
 *   <li>a member casts at {@code now} only if {@code now + voteLife + clockSkewMargin} is within the
 *       Lease: the leader counts from when it sent its last accepted renewal, a follower from the
 *       renewal time written in the Lease, less the margin, as that time is the leader's clock;
 *   <li>another leader takes the Lease over only once the Lease has been unchanged for {@code
 *       leaseDuration + clockSkewMargin} by its own clock, and its renewal time is that far in the
 *       past; its write names the version it saw, so a renewal it missed makes the write fail;
 *   <li>a missing Lease is created without a holder, so it too is taken only after that wait.
 * </ul>
 *
 * Clocks must agree within {@code clockSkewMargin}; running NTP on the nodes gives that.
 */
public final class LeaseVote {

    private LeaseVote() {}

    /**
     * How the device runs: the Lease's timings from the policy, corosync's {@code quorum.device}
     * timeouts from corosync.conf.
     */
    public record Settings(
            String leaseName,
            Duration leaseDuration,
            Duration renewInterval,
            Duration clockSkewMargin,
            Duration deviceTimeout,
            Duration syncTimeout) {

        /** The longest a cast vote can count in corosync after the poll that cast it. */
        public Duration voteLife() {
            return deviceTimeout.plus(syncTimeout);
        }

        /** How often the device is polled: half the device's timeout, as corosync-qdevice does. */
        public Duration pollInterval() {
            return deviceTimeout.dividedBy(2);
        }

        /** The Lease time a cast needs left. */
        public Duration castNeeds() {
            return voteLife().plus(clockSkewMargin);
        }

        /** The shortest Lease with which a leader renewing on time never has to stop casting. */
        public Duration shortestLease() {
            return castNeeds().plus(renewInterval.multipliedBy(2));
        }

        /** What is wrong with these timings, said so that the reader knows what to change; empty when fine. */
        public Optional<String> problem() {
            if (deviceTimeout.isZero() || deviceTimeout.isNegative()) {
                return Optional.of("corosync's quorum.device.timeout must be more than 0");
            }
            if (leaseDuration.compareTo(shortestLease()) < 0) {
                return Optional.of("leaseDuration " + seconds(leaseDuration) + " is shorter than the "
                        + seconds(shortestLease()) + " the device needs: corosync keeps a cast vote up to "
                        + seconds(voteLife()) + " (quorum.device.timeout " + deviceTimeout.toMillis()
                        + " ms + sync_timeout " + syncTimeout.toMillis() + " ms), plus clockSkewMargin "
                        + seconds(clockSkewMargin) + " and two renewIntervals of " + seconds(renewInterval)
                        + "; raise leaseDuration to at least " + seconds(shortestLease())
                        + ", or lower quorum.device.timeout and sync_timeout in corosync.conf");
            }
            if (leaseDuration.toMillis() % 1000 != 0) {
                return Optional.of("leaseDuration " + leaseDuration.toMillis()
                        + " ms is not whole seconds, as a Lease holds it; round it to seconds");
            }
            return Optional.empty();
        }

        private static String seconds(Duration d) {
            return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
        }
    }

    /**
     * The Lease as this node last read it.
     *
     * @param holder     holderIdentity, empty when no one holds it
     * @param renewTime  renewTime as written, by the holder's clock
     * @param version    resourceVersion, for a write that must find the Lease unchanged
     * @param seenAt     when this node first saw this version, by its local (monotonic) clock
     */
    public record Seen(Optional<String> holder, Optional<Instant> renewTime, String version, Instant seenAt) {}

    /** What the leader writes: the renewal time, and the version the write requires ("" to create). */
    public sealed interface Write {
        String version();

        Instant renewTime();
    }

    /** Create the Lease, held by no one, renewed now. */
    public record Create(Instant renewTime) implements Write {
        @Override
        public String version() {
            return "";
        }
    }

    /** Take the Lease: it is free, or has run out. */
    public record Acquire(String version, Instant renewTime, String holder) implements Write {}

    /** Renew the Lease this node holds. */
    public record Renew(String version, Instant renewTime, String holder) implements Write {}

    /**
     * The decision at one moment.
     *
     * @param cast      whether this node casts the device's vote now
     * @param castUntil the last moment a poll may still cast it, for a poll carried out later than decided
     * @param holds     whether the Lease names this node's partition leader
     * @param write   what the leader writes now, if anything
     * @param reason  a sentence for the status and the log
     */
    public record Decision(
            boolean cast, Optional<Instant> castUntil, boolean holds, Optional<Write> write, String reason) {

        Decision(boolean holds, Optional<Write> write, String reason) {
            this(false, Optional.empty(), holds, write, reason);
        }
    }

    private static final Pattern IDENTITY = Pattern.compile("corosync-node-(\\d+)@.+");

    /**
     * The Lease holder identity of corosync node {@code nodeId}, Kubernetes node {@code nodeName}: the
     * admission policy lets an agent write only its own node's identity. The cluster is in the Lease's name.
     */
    public static String identity(long nodeId, String nodeName) {
        return "corosync-node-" + nodeId + "@" + nodeName;
    }

    /** The corosync node id in a holder identity; empty for one this device did not write. */
    public static OptionalLong holderNode(String holder) {
        Matcher m = IDENTITY.matcher(holder);
        return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    /**
     * @param me          this node's corosync node id
     * @param myName      this node's Kubernetes name
     * @param members     this node's partition, as corosync's current ring has it
     * @param lease       the Lease as last read; empty when it does not exist yet
     * @param renewedAt   when this node sent the last write of the Lease that the API server accepted,
     *                    by its local clock
     * @param now         this node's wall clock: what a write puts in the Lease, and what the renewal
     *                    time another node wrote is compared with
     * @param local       this node's local clock, which no clock step moves: what its own durations
     *                    (since it sent a renewal, since it first saw a version) are measured on; the
     *                    decision's {@code castUntil} is on it too
     */
    public static Decision decide(
            Settings settings,
            long me,
            String myName,
            Set<Long> members,
            Optional<Seen> lease,
            Optional<Instant> renewedAt,
            Instant now,
            Instant local) {
        if (!members.contains(me)) {
            return new Decision(false, Optional.empty(), "this node is not in its own membership yet");
        }
        long leader = Collections.min(members);
        String myIdentity = identity(me, myName);
        boolean leading = leader == me;
        if (lease.isEmpty()) {
            // Created without a holder: whoever takes it waits out a full Lease first, so a Lease
            // deleted under a holder that still casts is never taken at once.
            return leading
                    ? new Decision(
                            false,
                            Optional.of(new Create(now)),
                            "creating Lease " + settings.leaseName() + " without a holder")
                    : new Decision(
                            false,
                            Optional.empty(),
                            "Lease " + settings.leaseName() + " does not exist yet; node " + leader + " creates it");
        }
        Seen seen = lease.get();
        boolean held = seen.holder()
                .map(LeaseVote::holderNode)
                .filter(id -> id.isPresent() && id.getAsLong() == leader)
                .isPresent();
        if (held) {
            // The leader counts from its own renewal, on its local clock; a follower from the renewal
            // time in the Lease (the leader's wall clock) less the margin, carried over to its local clock.
            Optional<Instant> validUntil = leading && renewedAt.isPresent()
                    ? renewedAt.map(r -> r.plus(settings.leaseDuration()))
                    : seen.renewTime()
                            .map(r -> r.plus(settings.leaseDuration()).minus(settings.clockSkewMargin()))
                            .map(wall -> local.plus(Duration.between(now, wall)));
            Optional<Instant> castUntil = validUntil.map(until -> until.minus(settings.castNeeds()));
            boolean cast = castUntil.filter(until -> !local.isAfter(until)).isPresent();
            Optional<Write> write = leading
                            && renewedAt
                                    .map(r -> !local.isBefore(r.plus(settings.renewInterval())))
                                    .orElse(true)
                    ? Optional.of(new Renew(seen.version(), now, myIdentity))
                    : Optional.empty();
            String reason = cast
                    ? "casting the vote: Lease " + settings.leaseName() + " is held by node " + leader
                            + ", the leader of this partition"
                    : "not casting: Lease " + settings.leaseName() + " is held by node " + leader
                            + ", but not renewed recently enough to outlast a vote cast now";
            return new Decision(cast, cast ? castUntil : Optional.empty(), true, write, reason);
        }
        String holder = seen.holder().orElse("no one");
        if (!leading) {
            return new Decision(
                    false,
                    Optional.empty(),
                    "not casting: Lease " + settings.leaseName() + " is held by " + holder + ", not by node " + leader
                            + ", the leader of this partition");
        }
        Duration wait = settings.leaseDuration().plus(settings.clockSkewMargin());
        // A Lease without a holder is free only once its last renewal, if it has one, has run out too.
        boolean free = (seen.holder().isEmpty() || !local.isBefore(seen.seenAt().plus(wait)))
                && seen.renewTime().map(r -> !now.isBefore(r.plus(wait))).orElse(true);
        return free
                ? new Decision(
                        false,
                        Optional.of(new Acquire(seen.version(), now, myIdentity)),
                        "taking Lease " + settings.leaseName() + " over from " + holder)
                : new Decision(
                        false,
                        Optional.empty(),
                        "not casting: Lease " + settings.leaseName() + " is held by " + holder
                                + "; this node takes it over once it has been unchanged for " + wait.toSeconds()
                                + "s");
    }
}
