package io.votequorum.agent;

import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.RingId;
import io.votequorum.device.DeviceCheck;
import io.votequorum.device.LeaseVote;
import io.votequorum.model.DeviceLease;
import io.votequorum.model.KubeDuration;
import io.votequorum.model.QuorumDeviceSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The Lease-backed quorum device on this node, owned by the agent's loop: it follows the Lease,
 * renews or takes it when this node leads its partition, and polls corosync's device with the vote
 * {@link LeaseVote} allows, at once on a new ring and every half device timeout otherwise.
 */
final class DeviceVote {

    private static final Logger LOG = Logger.getLogger(DeviceVote.class);
    /** The name every node registers the device under: corosync holds one name for the whole cluster. */
    static final String DEVICE_NAME = "votequorum-lease";

    /** What the device asks of the world; each call returns at once and answers through the loop. */
    interface World {
        /** Follow the named Lease, or stop following (empty); answers {@link AgentLoop.LeaseSeen}. */
        void followLease(Optional<String> name);

        /** Write the Lease; answers {@link AgentLoop.LeaseWritten}. */
        void writeLease(String name, Duration duration, LeaseVote.Write write);

        /**
         * Register the device if needed and poll it on corosync's thread, casting only if that thread
         * gets to it before {@code castUntil}; answers {@link AgentLoop.DevicePolled}.
         */
        void pollDevice(boolean cast, Optional<Instant> castUntil, RingId ring);

        /** Withdraw the vote and unregister the device. */
        void stopDevice();
    }

    private final World world;
    private final AgentLoop.Timers timers;

    private Optional<QuorumDeviceSpec> spec = Optional.empty();
    private Optional<String> following = Optional.empty();
    private Optional<LeaseVote.Seen> lease = Optional.empty();
    /** When this node sent its last accepted write of the Lease, by its local clock. */
    private Optional<Instant> renewedAt = Optional.empty();
    /** When the write under way was sent, by its local clock. */
    private Instant writeSent;

    private boolean writing;
    private boolean polling;
    private boolean pollDue;
    private AgentLoop.Timer pollTimer;
    private RingId polledRing;
    private Boolean polledCast;
    /** The ring of a poll corosync refused: polled again only when the poll is due, not at each step. */
    private RingId refusedRing;

    private boolean casting;
    private boolean running;
    private String message;

    DeviceVote(World world, AgentLoop.Timers timers) {
        this.world = world;
        this.timers = timers;
    }

    void spec(Optional<QuorumDeviceSpec> next) {
        if (!next.equals(spec)) {
            LOG.infof(
                    next.map(s -> "quorum device on: Lease " + s.getLeaseName()).orElse("quorum device off"));
            spec = next;
        }
    }

    /** A Lease read: the same version keeps the time it was first seen; an older one than known is ignored. */
    void leaseSeen(Optional<LeaseVote.Seen> seen) {
        if (seen.isPresent() && lease.isPresent()) {
            String known = lease.get().version();
            String now = seen.get().version();
            if (known.equals(now) || older(now, known)) {
                return;
            }
        }
        lease = seen;
    }

    /** resourceVersions are opaque, but etcd's are numbers: only those are compared. */
    private static boolean older(String version, String than) {
        try {
            return Long.parseLong(version) < Long.parseLong(than);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    void written(LeaseVote.Write write, Optional<LeaseVote.Seen> result, Optional<String> error) {
        writing = false;
        if (result.isPresent()) {
            renewedAt = Optional.ofNullable(writeSent);
            lease = result;
        } else {
            LOG.warnf("cannot write the quorum device's Lease: %s", error.orElse("unknown error"));
        }
    }

    void polled(boolean cast, Optional<String> error) {
        polling = false;
        if (error.isPresent()) {
            // corosync refused the poll (an old ring, most often): poll again once the view has the
            // current ring, or when the poll is due, never in a loop against the same ring. A
            // refused withdrawal leaves a cast vote counting, and each ring change would extend it by
            // sync_timeout: unregistering withdraws it at once, whatever the ring.
            if (Boolean.FALSE.equals(polledCast) && running) {
                world.stopDevice();
            }
            refusedRing = polledRing;
            polledRing = null;
            polledCast = null;
            casting = false;
            LOG.debugf("quorum device poll refused: %s", error.get());
        } else {
            casting = cast;
        }
    }

    void due() {
        pollTimer = null;
        pollDue = true;
    }

    /**
     * Decides and acts on this node's view at {@code now} (the wall clock; {@code local} the same moment
     * on the local clock, which no step moves); returns the device part of the status,
     * empty when corosync.conf declares no device and no policy runs one.
     */
    Optional<DeviceLease> step(Optional<QuorumSnapshot> snapshot, String nodeName, Instant now, Instant local) {
        Map<String, String> declared =
                snapshot.map(s -> s.config().quorum().device()).orElse(Map.of());
        Optional<String> model = Optional.ofNullable(declared.get("device.model"));
        Long timeout = millis(declared.get("device.timeout"), 10_000);
        Long syncTimeout = millis(declared.get("device.sync_timeout"), 30_000);
        Integer votes = Optional.ofNullable(declared.get("device.votes"))
                .map(Integer::valueOf)
                .orElse(null);
        Optional<LeaseVote.Settings> settings = Optional.empty();
        if (spec.isEmpty()) {
            message = null;
        } else if (snapshot.isEmpty()) {
            message = "corosync cannot be reached";
        } else if (model.isEmpty()) {
            message = "corosync.conf declares no quorum device: add " + DeviceCheck.DECLARATION
                    + " on every node, without two_node, and reload";
        } else {
            try {
                LeaseVote.Settings candidate = new LeaseVote.Settings(
                        spec.get().getLeaseName(),
                        KubeDuration.parse(spec.get().getLeaseDuration()),
                        KubeDuration.parse(spec.get().getRenewInterval()),
                        KubeDuration.parse(spec.get().getClockSkewMargin()),
                        Duration.ofMillis(timeout),
                        Duration.ofMillis(syncTimeout));
                message = candidate.problem().orElse(null);
                settings = message == null ? Optional.of(candidate) : Optional.empty();
            } catch (IllegalArgumentException e) {
                message = "the quorum device's timings: " + e.getMessage();
            }
        }
        follow(settings.map(LeaseVote.Settings::leaseName));
        if (settings.isEmpty()) {
            stop();
        } else {
            run(settings.get(), snapshot.get(), nodeName, now, local);
        }
        if (model.isEmpty() && spec.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DeviceLease(
                model.orElse(null),
                votes,
                model.isPresent() ? timeout : null,
                model.isPresent() ? syncTimeout : null,
                spec.map(QuorumDeviceSpec::getLeaseName).orElse(null),
                lease.flatMap(LeaseVote.Seen::holder).orElse(null),
                spec.isPresent() ? casting : null,
                message));
    }

    private void run(
            LeaseVote.Settings settings, QuorumSnapshot snapshot, String nodeName, Instant now, Instant local) {
        running = true;
        long me = snapshot.config().localNodeId();
        LeaseVote.Decision decision = LeaseVote.decide(
                settings,
                me,
                nodeName,
                snapshot.members().stream().map(QuorumSnapshot.Node::nodeId).collect(Collectors.toSet()),
                lease,
                renewedAt,
                now,
                local);
        message = decision.reason();
        if (!writing && decision.write().isPresent()) {
            writing = true;
            writeSent = local;
            world.writeLease(
                    settings.leaseName(),
                    settings.leaseDuration(),
                    decision.write().get());
        }
        if (pollTimer == null) {
            pollTimer = timers.schedule(settings.pollInterval(), new AgentLoop.DeviceDue());
        }
        Optional<RingId> ring = snapshot.ring();
        boolean changed = ring.isPresent()
                && !ring.get().equals(refusedRing)
                && (!ring.get().equals(polledRing)
                        || !Boolean.valueOf(decision.cast()).equals(polledCast));
        if (ring.isPresent() && !polling && (pollDue || changed)) {
            polling = true;
            pollDue = false;
            polledRing = ring.get();
            polledCast = decision.cast();
            refusedRing = null;
            world.pollDevice(decision.cast(), decision.castUntil(), ring.get());
        }
    }

    private void stop() {
        if (running) {
            running = false;
            world.stopDevice();
            casting = false;
            polledRing = null;
            polledCast = null;
            refusedRing = null;
            renewedAt = Optional.empty();
        }
        if (pollTimer != null) {
            pollTimer.cancel();
            pollTimer = null;
        }
    }

    private void follow(Optional<String> name) {
        if (!name.equals(following)) {
            following = name;
            lease = Optional.empty();
            world.followLease(name);
        }
    }

    private static Long millis(String value, long fallback) {
        return value == null ? fallback : Long.parseLong(value);
    }
}
