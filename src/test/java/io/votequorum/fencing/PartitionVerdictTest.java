package io.votequorum.fencing;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.model.RingId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Safety rule 1: only a fresh, settled, quorate view counts. */
class PartitionVerdictTest {

    static final RingId R1 = new RingId(1, 0x10);
    static final RingId R2 = new RingId(1, 0x14);
    static final RingId R3 = new RingId(3, 0x14);

    static Report report(long id, boolean fresh, Boolean quorate, RingId ring, Long... members) {
        return new Report(
                "node" + id,
                id,
                Optional.ofNullable(quorate),
                Optional.ofNullable(ring),
                Set.of(members),
                members.length,
                2,
                fresh);
    }

    @Test
    void allThreeAgreeingGiveTheQuoratePartition() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                report(1, true, true, R1, 1L, 2L, 3L),
                report(2, true, true, R1, 1L, 2L, 3L),
                report(3, true, true, R1, 1L, 2L, 3L)));
        assertThat(verdict).isEqualTo(new PartitionVerdict.Quorate(new QuoratePartition(R1, Set.of(1L, 2L, 3L), 3, 2)));
    }

    @Test
    void aCutNodesStaleQuorateReportIsSupersededAtOnceByItsOwnMembers() {
        // Node 3's Lease is still fresh and its last report still says quorate in R1 = {1,2,3}.
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                report(1, true, true, R2, 1L, 2L),
                report(2, true, true, R2, 1L, 2L),
                report(3, true, true, R1, 1L, 2L, 3L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.Quorate.class);
        assertThat(((PartitionVerdict.Quorate) verdict).partition().members()).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    void whileTheMembersStillDisagreeNothingIsSettled() {
        // Node 1 already reports R2 = {1,2}; node 2 still reports R1 = {1,2,3}.
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                report(1, true, true, R2, 1L, 2L),
                report(2, true, true, R1, 1L, 2L, 3L),
                report(3, true, false, R3, 3L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason()).contains("not settled", "node2 reports");
    }

    @Test
    void twoSettledQuorateViewsAreAmbiguous() {
        // Both halves of a two_node split are quorate and each is settled on its own.
        PartitionVerdict verdict =
                PartitionVerdict.of(List.of(report(1, true, true, R2, 1L), report(2, true, true, R3, 2L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason()).startsWith("ambiguous");
    }

    @Test
    void aTwoTwoSplitHasNoQuorateSide() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                report(1, true, false, R2, 1L, 2L),
                report(2, true, false, R2, 1L, 2L),
                report(3, true, false, R3, 3L, 4L),
                report(4, true, false, R3, 3L, 4L)));
        assertThat(verdict)
                .isEqualTo(new PartitionVerdict.NoQuorateView("no node with a fresh heartbeat reports quorum"));
    }

    @Test
    void expiredLeasesMakeNoView() {
        PartitionVerdict verdict = PartitionVerdict.of(
                List.of(report(1, false, true, R1, 1L, 2L, 3L), report(2, false, true, R1, 1L, 2L, 3L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason())
                .startsWith("no node has a fresh heartbeat Lease");
    }

    @Test
    void anUnreachableCorosyncIsNoReportOfQuorum() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, null, null)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
    }

    @Test
    void aReporterOutsideTheRingItReportsIsNotTrusted() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, true, R1, 2L, 3L)));
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason()).contains("without being a member");
    }

    @Test
    void oneRingReportedWithDifferentMembersBlocksEveryView() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                report(1, true, true, R1, 1L), report(2, true, true, R2, 2L), report(3, true, true, R1, 1L, 3L)));
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason())
                .contains("conflicting reports", "different members");
    }

    static Report split(
            long id,
            boolean fresh,
            boolean quorate,
            RingId ring,
            Set<Long> members,
            int votes,
            int quorum,
            Report.Votes cluster) {
        return new Report(
                "node" + id, id, Optional.of(quorate), Optional.of(ring), members, votes, quorum, fresh, cluster);
    }

    @Test
    void aTwoNodeHalfCannotRuleOutTheOtherHalfEvenWhenTheOtherIsUnseen() {
        Report.Votes twoNode = new Report.Votes(Map.of(1L, 1, 2L, 1), 2, 0, false, false, true);
        // Node 2's agent is cut off too: its last report, from before the split, has gone stale.
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                split(1, true, true, R2, Set.of(1L), 1, 1, twoNode),
                split(2, false, true, R1, Set.of(1L, 2L), 2, 1, twoNode)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NotExclusive.class);
        assertThat(((PartitionVerdict.NotExclusive) verdict).reason())
                .contains("two_node", "nothing is fenced", "a two_node cluster fences only with a quorum device");
    }

    @Test
    void aStrictMajorityOfTheConfiguredVotesRulesOutTheRest() {
        Report.Votes three = Report.Votes.oneEach(Set.of(1L, 2L, 3L));
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                split(1, true, true, R2, Set.of(1L, 2L), 2, 2, three),
                split(2, true, true, R2, Set.of(1L, 2L), 2, 2, three)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.Quorate.class);
    }

    @Test
    void expectedVotesLoweredBelowTheConfiguredTotalLeaveTheMinorityPossiblyQuorate() {
        // Four one-vote nodes with expected votes lowered to 2 (quorum 2): {1,2} and {3,4} can both be quorate.
        Report.Votes lowered = new Report.Votes(Map.of(1L, 1, 2L, 1, 3L, 1, 4L, 1), 2, 0, false, false, false);
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                split(1, true, true, R2, Set.of(1L, 2L), 2, 2, lowered),
                split(2, true, true, R2, Set.of(1L, 2L), 2, 2, lowered)));
        assertThat(((PartitionVerdict.NotExclusive) verdict).reason())
                .contains("quorum of 2", "expected votes restored to 4", "corosync-quorumtool -e 4");
    }

    @Test
    void lastManStandingHistoryOutsideTheRingIsNotForgotten() {
        // Five nodes; nodes 1 and 2 last reported expected votes lowered to 3 (quorum 2) by last_man_standing.
        // {3,4,5} hold a strict majority of 5, but {1,2} may still be quorate on their own.
        Map<Long, Integer> five = Map.of(1L, 1, 2L, 1, 3L, 1, 4L, 1, 5L, 1);
        Report.Votes lms = new Report.Votes(five, 3, 0, false, false, false);
        Report.Votes full = new Report.Votes(five, 5, 0, false, false, false);
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                split(1, false, true, R1, Set.of(1L, 2L, 3L), 3, 2, lms),
                split(3, true, true, R3, Set.of(3L, 4L, 5L), 3, 3, full),
                split(4, true, true, R3, Set.of(3L, 4L, 5L), 3, 3, full),
                split(5, true, true, R3, Set.of(3L, 4L, 5L), 3, 3, full)));
        assertThat(((PartitionVerdict.NotExclusive) verdict).reason()).contains("node1 last reported a quorum of 2");
    }

    @Test
    void theQuorumDevicesVoteOrTheTieBreakerRulesOutTheOtherSide() {
        // Two nodes and a quorum device of one vote: the device votes for node 1's side only.
        Report.Votes device = new Report.Votes(Map.of(1L, 1, 2L, 1), 3, 1, true, false, false);
        assertThat(PartitionVerdict.of(List.of(split(1, true, true, R2, Set.of(1L), 2, 2, device))))
                .isInstanceOf(PartitionVerdict.Quorate.class);
        // Four nodes split two and two with auto_tie_breaker: the half with the lowest node id alone is quorate.
        Report.Votes atb = new Report.Votes(Map.of(1L, 1, 2L, 1, 3L, 1, 4L, 1), 4, 0, false, true, false);
        assertThat(PartitionVerdict.of(List.of(
                        split(1, true, true, R2, Set.of(1L, 2L), 2, 3, atb),
                        split(2, true, true, R2, Set.of(1L, 2L), 2, 3, atb))))
                .isInstanceOf(PartitionVerdict.Quorate.class);
        // The same halves without the tie-breaker's decision: not a strict majority.
        Report.Votes noAtb = new Report.Votes(Map.of(1L, 1, 2L, 1, 3L, 1, 4L, 1), 4, 0, false, false, false);
        assertThat(PartitionVerdict.of(List.of(split(1, true, true, R2, Set.of(1L, 2L), 2, 3, noAtb))))
                .isInstanceOf(PartitionVerdict.NotExclusive.class);
    }

    @Test
    void aLeftoverDeviceVoteOnTheSideWithoutTheLeaseHolderMakesNoView() {
        // Two nodes and the Lease device; node 1 holds the Lease. Just after the split, node 2 still counts
        // the vote it cast in the ring before and reads quorate alone; node 1's report has not come yet.
        RingId node2Alone = new RingId(2, 0x10);
        Report.Votes heldByNode1 = leaseDevice(OptionalLong.of(1));
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                split(1, true, true, R1, Set.of(1L, 2L), 3, 2, heldByNode1),
                split(2, true, true, node2Alone, Set.of(2L), 2, 2, heldByNode1)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason())
                .contains("node2's quorum in ring 2.10 rests on the quorum device's vote, but node 1, outside the ring,"
                        + " holds the device's Lease");

        // Node 1's side, which holds the Lease, is a view; so is node 2's once it has taken the Lease.
        assertThat(PartitionVerdict.of(List.of(split(1, true, true, R2, Set.of(1L), 2, 2, heldByNode1))))
                .isInstanceOf(PartitionVerdict.Quorate.class);
        Report.Votes heldByNode2 = leaseDevice(OptionalLong.of(2));
        assertThat(PartitionVerdict.of(List.of(split(2, true, true, node2Alone, Set.of(2L), 2, 2, heldByNode2))))
                .isInstanceOf(PartitionVerdict.Quorate.class);
        // A Lease no one holds casts for no one.
        Report.Votes unheld = leaseDevice(OptionalLong.empty());
        assertThat(PartitionVerdict.of(List.of(split(2, true, true, node2Alone, Set.of(2L), 2, 2, unheld))))
                .isInstanceOf(PartitionVerdict.NoQuorateView.class);
    }

    /** Two one-vote nodes and the Lease device of one vote, cast, with the Lease held as given. */
    private static Report.Votes leaseDevice(OptionalLong holder) {
        return new Report.Votes(
                Map.of(1L, 1, 2L, 1),
                3,
                1,
                true,
                false,
                false,
                Duration.ofSeconds(8),
                Optional.of(new Report.LeaseDevice(holder)));
    }

    @Test
    void aViewIsSupersededByANewerRingThatListsOneOfItsMembers() {
        // Nodes 1 and 2 cannot write their status (their Leases renew): they still say ring 0x14 without
        // node 3. Node 3, back, reports the newer ring 0x18 with all three: 0x14 is over.
        RingId newer = new RingId(1, 0x18);
        PartitionVerdict verdict = PartitionVerdict.of(List.of(
                report(1, true, true, R2, 1L, 2L),
                report(2, true, true, R2, 1L, 2L),
                report(3, true, true, newer, 1L, 2L, 3L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason())
                .contains("node3 reports the newer ring " + newer + " with members [1, 2, 3]");
    }
}
