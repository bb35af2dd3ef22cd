package io.votequorum.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.device.LeaseVote.Acquire;
import io.votequorum.device.LeaseVote.Create;
import io.votequorum.device.LeaseVote.Decision;
import io.votequorum.device.LeaseVote.Renew;
import io.votequorum.device.LeaseVote.Seen;
import io.votequorum.device.LeaseVote.Settings;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Lease device's rule: one partition's vote at a time, whatever the clocks, the API server and the agents do. */
class LeaseVoteTest {

    private static final Instant T0 = Instant.parse("2026-11-27T00:00:00Z");
    private static final Settings SETTINGS = new Settings(
            "votequorum-device-edge",
            Duration.ofSeconds(15),
            Duration.ofSeconds(2),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(4));

    private static Seen held(String holder, Instant renewed, Instant seen) {
        return new Seen(Optional.of(holder), Optional.of(renewed), "7", seen);
    }

    @Test
    void theTimingsAreCheckedAgainstCorosyncsAndSayWhatToChange() {
        assertThat(SETTINGS.voteLife()).isEqualTo(Duration.ofSeconds(8));
        assertThat(SETTINGS.shortestLease()).isEqualTo(Duration.ofSeconds(14));
        assertThat(SETTINGS.problem()).isEmpty();
        Settings defaults = new Settings(
                "l",
                Duration.ofSeconds(15),
                Duration.ofSeconds(2),
                Duration.ofSeconds(2),
                Duration.ofSeconds(10),
                Duration.ofSeconds(30));
        assertThat(defaults.problem())
                .contains("leaseDuration 15s is shorter than the 46s the device needs: corosync keeps a cast vote up"
                        + " to 40s (quorum.device.timeout 10000 ms + sync_timeout 30000 ms), plus clockSkewMargin"
                        + " 2s and two renewIntervals of 2s; raise leaseDuration to at least 46s, or lower"
                        + " quorum.device.timeout and sync_timeout in corosync.conf");
    }

    @Test
    void theLeaderCreatesTheLeaseAndOthersWait() {
        Decision leader = decide(SETTINGS, 1, "node1", Set.of(1L, 2L), Optional.empty(), Optional.empty(), T0);
        assertThat(leader.cast()).isFalse();
        assertThat(leader.write()).contains(new Create(T0));
        Decision follower = decide(SETTINGS, 2, "node2", Set.of(1L, 2L), Optional.empty(), Optional.empty(), T0);
        assertThat(follower.write()).isEmpty();
        assertThat(follower.reason()).contains("node 1 creates it");

        Seen created = new Seen(Optional.empty(), Optional.of(T0), "1", T0.plusMillis(100));
        assertThat(decide(
                                SETTINGS,
                                1,
                                "node1",
                                Set.of(1L, 2L),
                                Optional.of(created),
                                Optional.of(T0),
                                T0.plusSeconds(16))
                        .write())
                .as("a Lease without a holder is taken only once a whole Lease has passed")
                .isEmpty();
        assertThat(decide(
                                SETTINGS,
                                1,
                                "node1",
                                Set.of(1L, 2L),
                                Optional.of(created),
                                Optional.of(T0),
                                T0.plusMillis(17100))
                        .write())
                .contains(new Acquire("1", T0.plusMillis(17100), "corosync-node-1@node1"));
    }

    @Test
    void theHoldersPartitionCastsWhileTheLeaseOutlastsAVoteAndRenewsOnTime() {
        Seen lease = held(LeaseVote.identity(1, "node1"), T0, T0.plusMillis(50));
        Decision leader = decide(SETTINGS, 1, "node1", Set.of(1L, 2L), Optional.of(lease), Optional.of(T0), T0);
        assertThat(leader.cast()).isTrue();
        assertThat(leader.castUntil())
                .as("a poll carried out later casts no later than this")
                .contains(T0.plusSeconds(5));
        assertThat(leader.write()).isEmpty();
        Decision due =
                decide(SETTINGS, 1, "node1", Set.of(1L, 2L), Optional.of(lease), Optional.of(T0), T0.plusSeconds(2));
        assertThat(due.write()).containsInstanceOf(Renew.class);
        assertThat(due.write().get().version()).isEqualTo("7");

        // A follower counts from the renewal time, less the margin: 15 - 2 - (8 + 2) = 3 s of casting.
        Decision follower =
                decide(SETTINGS, 2, "node2", Set.of(1L, 2L), Optional.of(lease), Optional.empty(), T0.plusSeconds(3));
        assertThat(follower.cast()).isTrue();
        Decision late =
                decide(SETTINGS, 2, "node2", Set.of(1L, 2L), Optional.of(lease), Optional.empty(), T0.plusMillis(3001));
        assertThat(late.cast()).isFalse();
        assertThat(late.holds()).isTrue();

        // The leader stops 5 s after its last accepted renewal: 15 - (8 + 2).
        assertThat(decide(SETTINGS, 1, "node1", Set.of(1L), Optional.of(lease), Optional.of(T0), T0.plusSeconds(5))
                        .cast())
                .isTrue();
        assertThat(decide(SETTINGS, 1, "node1", Set.of(1L), Optional.of(lease), Optional.of(T0), T0.plusMillis(5001))
                        .cast())
                .isFalse();
    }

    @Test
    void anotherPartitionNeitherCastsNorTakesOverBeforeTheLeaseRanOutByBothClocks() {
        Seen lease = held(LeaseVote.identity(1, "node1"), T0, T0.plusSeconds(1));
        Decision early =
                decide(SETTINGS, 2, "node2", Set.of(2L), Optional.of(lease), Optional.empty(), T0.plusSeconds(16));
        assertThat(early.cast()).isFalse();
        assertThat(early.write()).isEmpty();
        assertThat(early.reason()).contains("held by corosync-node-1@node1", "unchanged for 17s");
        Decision free =
                decide(SETTINGS, 2, "node2", Set.of(2L), Optional.of(lease), Optional.empty(), T0.plusSeconds(18));
        assertThat(free.write()).get().isEqualTo(new Acquire("7", T0.plusSeconds(18), "corosync-node-2@node2"));
        assertThat(free.cast()).as("only after its own accepted write").isFalse();

        Seen taken = held(LeaseVote.identity(2, "node2"), T0.plusSeconds(18), T0.plusSeconds(18));
        assertThat(decide(
                                SETTINGS,
                                2,
                                "node2",
                                Set.of(2L),
                                Optional.of(taken),
                                Optional.of(T0.plusSeconds(18)),
                                T0.plusSeconds(18))
                        .cast())
                .isTrue();
        assertThat(decide(SETTINGS, 1, "node1", Set.of(1L), Optional.of(taken), Optional.of(T0), T0.plusSeconds(18))
                        .cast())
                .isFalse();
    }

    /**
     * Two nodes split from each other for good, each its own partition. Each has its own clock (within
     * the margin of the other), reads the Lease late or not at all, reaches the API server only at
     * times, and its agent stops at times (its last vote then lives its full life in corosync). At no
     * moment may both votes be alive.
     */
    @Test
    void twoSidesOfASplitNeverBothHoldAVote() {
        Random random = new Random(11);
        long step = 100;
        int handovers = 0;
        for (int run = 0; run < 300; run++) {
            Side[] sides = {new Side(1, random), new Side(2, random)};
            // Clocks within ±margin/2 of true time: any two within the margin.
            for (Side side : sides) {
                side.offset = random.nextLong(SETTINGS.clockSkewMargin().toMillis() + 1)
                        - SETTINGS.clockSkewMargin().toMillis() / 2;
            }
            Api api = new Api();
            String lastHolder = null;
            for (long t = 0; t < 300_000; t += step) {
                if (api.exists && random.nextInt(20_000) == 0) {
                    // Someone deletes the Lease.
                    api.exists = false;
                    api.holder = null;
                    api.renewTime = null;
                    api.version++;
                    api.writtenAt = t;
                }
                for (Side side : sides) {
                    side.tick(t, api, random);
                }
                assertThat(sides[0].voteAlive(t) && sides[1].voteAlive(t))
                        .as("run %d at %d ms: both votes alive (%s, %s)", run, t, sides[0], sides[1])
                        .isFalse();
                if (api.holder != null && !api.holder.equals(lastHolder)) {
                    handovers += lastHolder == null ? 0 : 1;
                    lastHolder = api.holder;
                }
            }
        }
        assertThat(handovers).as("the Lease changed hands in the runs").isGreaterThan(100);
    }

    /** The API server's copy of the Lease. */
    private static final class Api {
        boolean exists;
        String holder;
        Instant renewTime;
        long version;
        long writtenAt;
    }

    /** One side of the split: its clock, its copy of the Lease, its agent and its vote in corosync. */
    private static final class Side {
        final long id;
        long offset;
        Optional<Seen> seen = Optional.empty();
        long seenVersion;
        Optional<Instant> renewedAt = Optional.empty();
        long lag;
        long nextPoll;
        long voteUntil = -1;
        long downUntil = -1;
        long cutUntil = -1;

        Side(long id, Random random) {
            this.id = id;
            this.nextPoll = random.nextLong(SETTINGS.pollInterval().toMillis());
            this.lag = random.nextLong(3000);
        }

        Instant clock(long t) {
            return T0.plusMillis(t + offset);
        }

        boolean voteAlive(long t) {
            return t < voteUntil;
        }

        void tick(long t, Api api, Random random) {
            if (t >= downUntil && random.nextInt(2000) == 0) {
                downUntil = t + random.nextLong(60_000); // the agent stops: no reads, writes or polls
            }
            if (t >= cutUntil && random.nextInt(1000) == 0) {
                cutUntil = t + random.nextLong(40_000); // the API server out of reach
            }
            if (t < downUntil) {
                return;
            }
            boolean reachable = t >= cutUntil;
            if (reachable && api.version > seenVersion && t >= api.writtenAt + lag) {
                seenVersion = api.version;
                seen = api.exists
                        ? Optional.of(new Seen(
                                Optional.ofNullable(api.holder),
                                Optional.ofNullable(api.renewTime),
                                String.valueOf(api.version),
                                clock(t)))
                        : Optional.empty();
            }
            Decision decision = decide(SETTINGS, id, "node" + id, Set.of(id), seen, renewedAt, clock(t));
            decision.write().ifPresent(write -> {
                String expected = api.exists ? String.valueOf(api.version) : "";
                if (reachable && write.version().equals(expected)) {
                    api.exists = true;
                    api.holder = write instanceof Acquire a ? a.holder() : write instanceof Renew r ? r.holder() : null;
                    api.renewTime = write.renewTime();
                    api.version++;
                    api.writtenAt = t;
                    renewedAt = Optional.of(write.renewTime());
                }
            });
            if (t >= nextPoll) {
                nextPoll = t + SETTINGS.pollInterval().toMillis();
                // A cast lives its worst case; a poll that does not cast ends the vote at once.
                voteUntil = decision.cast() ? t + SETTINGS.voteLife().toMillis() : Math.min(voteUntil, t);
            }
        }

        @Override
        public String toString() {
            return "node " + id + " vote until " + voteUntil + ", " + seen;
        }
    }

    /** A decision with the wall clock and the local clock agreeing. */
    private static Decision decide(
            LeaseVote.Settings settings,
            long me,
            String name,
            Set<Long> members,
            Optional<Seen> lease,
            Optional<Instant> renewedAt,
            Instant now) {
        return LeaseVote.decide(settings, me, name, members, lease, renewedAt, now, now);
    }

    @Test
    void aClockStepMovesNoneOfTheLeadersOwnDurations() {
        Seen lease = new Seen(Optional.of(LeaseVote.identity(1, "node1")), Optional.of(T0), "7", T0);
        // Its last accepted renewal was sent at T0 by the local clock; the wall clock then steps back an hour.
        Instant stepped = T0.minusSeconds(3600);
        Decision stillCasting = LeaseVote.decide(
                SETTINGS, 1, "node1", Set.of(1L), Optional.of(lease), Optional.of(T0), stepped, T0.plusSeconds(4));
        assertThat(stillCasting.cast()).isTrue();
        Decision stops = LeaseVote.decide(
                SETTINGS, 1, "node1", Set.of(1L), Optional.of(lease), Optional.of(T0), stepped, T0.plusSeconds(6));
        assertThat(stops.cast())
                .as("5 s after its last renewal by the local clock, whatever the wall clock says")
                .isFalse();
        assertThat(stops.write())
                .as("it renews, writing the wall clock's time for the others")
                .hasValueSatisfying(w -> assertThat(w.renewTime()).isEqualTo(stepped));
    }
}
