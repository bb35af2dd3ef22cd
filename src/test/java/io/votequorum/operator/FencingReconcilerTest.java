package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.votequorum.fencing.FencePlan;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.fencing.FencingRules;
import io.votequorum.fencing.NodeFacts;
import io.votequorum.fencing.Report;
import io.votequorum.model.FenceStage;
import io.votequorum.model.FencingSpec;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.Qdevice;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.WatchdogState;
import io.votequorum.model.WatchdogStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When the reconciler looks again, and which Lease updates wake it. */
class FencingReconcilerTest {

    static final Instant NOW = Instant.now();
    static final FencingRules RULES =
            new FencingRules(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(30), 1, false);

    static Lease lease(String holder, Instant renewed, int seconds) {
        return new LeaseBuilder()
                .withNewMetadata()
                .withName(holder)
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(holder)
                .withLeaseDurationSeconds(seconds)
                .withRenewTime(renewed.atZone(ZoneOffset.UTC))
                .endSpec()
                .build();
    }

    @Test
    void renewingAFreshLeaseWakesNothingButARevivedOrReassignedOneDoes() {
        Lease fresh = lease("node1", NOW.minusSeconds(2), 10);
        assertThat(FencingReconciler.heartbeatMatters(lease("node1", NOW, 10), fresh))
                .isFalse();
        assertThat(FencingReconciler.heartbeatMatters(
                        lease("node1", NOW, 10), lease("node1", NOW.minusSeconds(30), 10)))
                .as("a Lease that had run out comes back")
                .isTrue();
        assertThat(FencingReconciler.heartbeatMatters(lease("other", NOW, 10), fresh))
                .isTrue();
        assertThat(FencingReconciler.heartbeatMatters(lease("node1", NOW, 20), fresh))
                .isTrue();
    }

    @Test
    void withNothingPendingTheNextLookIsWhenTheFirstLeaseRunsOut() {
        FencePlan idle = FencePlan.decide(List.of(), List.of(), RULES, NOW);
        assertThat(PolicyEngine.nextLook(idle, List.of(), NOW)).isEqualTo(PolicyEngine.IDLE_RECHECK);
        Duration next = PolicyEngine.nextLook(
                idle,
                List.of(
                        lease("node1", NOW.minusSeconds(4), 10),
                        lease("node2", NOW.minusSeconds(1), 10),
                        lease("gone", NOW.minusSeconds(60), 10)),
                NOW);
        assertThat(next).isEqualTo(Duration.ofMillis(6_100));
    }

    @Test
    void whileANodeIsFencedOrAboutToBeTheLadderIsLookedAtEveryRecheck() {
        NodeFacts unknown = new NodeFacts(
                "node9",
                Optional.of(9L),
                false,
                Optional.of(new FenceRecord(FenceStage.Cordoned, NOW.minusSeconds(5), "cut", Optional.empty())),
                Optional.empty(),
                Optional.empty());
        FencePlan fenced = FencePlan.decide(List.of(), List.of(unknown), RULES, NOW);
        assertThat(PolicyEngine.nextLook(fenced, List.of(lease("node1", NOW, 3600)), NOW))
                .isEqualTo(PolicyEngine.RECHECK);
    }

    @Test
    void aReportsVotesCoverTheWholeNodelistTheQuorumDeviceAndTheOptions() {
        QuorumStatusStatus status = new QuorumStatusStatus();
        status.setNodeId(1L);
        status.setNodeVotes(2);
        status.setExpectedVotes(4);
        status.setMembers(List.of(new Member(1, "a", 1, MemberState.Member), new Member(2, "b", 1, MemberState.Dead)));
        status.setFlags(List.of(QuorumFlag.TwoNode, QuorumFlag.AutoTieBreaker));
        status.setQdevice(new Qdevice("Lease", 1, true, true, false));
        Report.Votes votes = ClusterSnapshot.votes(status);
        assertThat(votes.nodelist()).containsEntry(1L, 2).containsEntry(2L, 1);
        assertThat(votes.expectedVotes()).isEqualTo(4);
        assertThat(votes.qdeviceVotes()).isEqualTo(1);
        assertThat(votes.qdeviceCastVote()).isTrue();
        assertThat(votes.twoNode()).isTrue();
        assertThat(votes.autoTieBreaker()).isTrue();
    }

    @Test
    void onlyAnArmedWatchdogOfTheCurrentSpecBacksSelfFencingWithTheLongerSelfFenceAfter() {
        FencingSpec policy = new FencingSpec();
        policy.setNoQuorumAction(NoQuorumAction.SelfFence);
        QuorumStatus qs = new QuorumStatus();
        qs.setMetadata(
                new ObjectMetaBuilder().withName("node3").withGeneration(4L).build());
        qs.getSpec().setSelfFenceAfter("45s");
        qs.getStatus().setObservedGeneration(4L);
        qs.getStatus().setWatchdog(new WatchdogStatus("/dev/watchdog", 10, WatchdogState.Expiring, "30s", null, null));
        assertThat(ClusterSnapshot.selfFencing(qs, policy, Optional.empty(), lease("node3", NOW, 10)))
                .contains(new NodeFacts.SelfFencing(
                        "/dev/watchdog",
                        Duration.ofSeconds(45),
                        Duration.ofSeconds(10),
                        Optional.of(lease("node3", NOW, 10)
                                .getSpec()
                                .getRenewTime()
                                .toInstant()
                                .plusSeconds(10))));

        qs.getStatus().setObservedGeneration(3L);
        assertThat(ClusterSnapshot.selfFencing(qs, policy, Optional.empty(), lease("node3", NOW, 10)))
                .as("a report of an older spec")
                .isEmpty();
        qs.getStatus().setObservedGeneration(4L);
        policy.setNoQuorumAction(NoQuorumAction.None);
        assertThat(ClusterSnapshot.selfFencing(qs, policy, Optional.empty(), lease("node3", NOW, 10)))
                .as("self-fencing turned off")
                .isEmpty();
        policy.setNoQuorumAction(NoQuorumAction.SelfFence);

        qs.getStatus()
                .setWatchdog(new WatchdogStatus(
                        "/dev/watchdog", null, WatchdogState.Unavailable, "30s", null, "no such device"));
        assertThat(ClusterSnapshot.selfFencing(qs, policy, Optional.empty(), lease("node3", NOW, 10)))
                .isEmpty();
        qs.getStatus().setWatchdog(new WatchdogStatus("/dev/watchdog", 10, WatchdogState.Disarmed, "30s", null, null));
        assertThat(ClusterSnapshot.selfFencing(qs, policy, Optional.empty(), lease("node3", NOW, 10)))
                .isEmpty();
    }
}
