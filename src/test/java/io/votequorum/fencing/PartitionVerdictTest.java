package io.votequorum.fencing;

import io.votequorum.model.RingId;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Safety rule 1: only a fresh, settled, quorate view counts. */
class PartitionVerdictTest {

    static final RingId R1 = new RingId(1, 0x10);
    static final RingId R2 = new RingId(1, 0x14);
    static final RingId R3 = new RingId(3, 0x14);

    static Report report(long id, boolean fresh, Boolean quorate, RingId ring, Long... members) {
        return new Report("node" + id, id, Optional.ofNullable(quorate), Optional.ofNullable(ring), Set.of(members),
                members.length, 2, fresh);
    }

    @Test
    void allThreeAgreeingGiveTheQuoratePartition() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, true, R1, 1L, 2L, 3L),
                report(2, true, true, R1, 1L, 2L, 3L), report(3, true, true, R1, 1L, 2L, 3L)));
        assertThat(verdict).isEqualTo(new PartitionVerdict.Quorate(new QuoratePartition(R1, Set.of(1L, 2L, 3L), 3, 2)));
    }

    @Test
    void aCutNodesStaleQuorateReportIsSupersededAtOnceByItsOwnMembers() {
        // Node 3's Lease is still fresh and its last report still says quorate in R1 = {1,2,3}.
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, true, R2, 1L, 2L),
                report(2, true, true, R2, 1L, 2L), report(3, true, true, R1, 1L, 2L, 3L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.Quorate.class);
        assertThat(((PartitionVerdict.Quorate) verdict).partition().members()).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    void whileTheMembersStillDisagreeNothingIsSettled() {
        // Node 1 already reports R2 = {1,2}; node 2 still reports R1 = {1,2,3}.
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, true, R2, 1L, 2L),
                report(2, true, true, R1, 1L, 2L, 3L), report(3, true, false, R3, 3L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason()).contains("not settled", "node2 reports");
    }

    @Test
    void twoSettledQuorateViewsAreAmbiguous() {
        // Both halves of a two_node split are quorate and each is settled on its own.
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, true, R2, 1L),
                report(2, true, true, R3, 2L)));
        assertThat(verdict).isInstanceOf(PartitionVerdict.NoQuorateView.class);
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason()).startsWith("ambiguous");
    }

    @Test
    void aTwoTwoSplitHasNoQuorateSide() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, false, R2, 1L, 2L),
                report(2, true, false, R2, 1L, 2L), report(3, true, false, R3, 3L, 4L),
                report(4, true, false, R3, 3L, 4L)));
        assertThat(verdict).isEqualTo(new PartitionVerdict.NoQuorateView("no node with a fresh heartbeat reports quorum"));
    }

    @Test
    void expiredLeasesMakeNoView() {
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, false, true, R1, 1L, 2L, 3L),
                report(2, false, true, R1, 1L, 2L, 3L)));
        assertThat(verdict).isEqualTo(new PartitionVerdict.NoQuorateView("no node has a fresh heartbeat Lease"));
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
        PartitionVerdict verdict = PartitionVerdict.of(List.of(report(1, true, true, R1, 1L),
                report(2, true, true, R2, 2L), report(3, true, true, R1, 1L, 3L)));
        assertThat(((PartitionVerdict.NoQuorateView) verdict).reason()).contains("conflicting reports",
                "different members");
    }
}
