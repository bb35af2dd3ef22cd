package io.votequorum.fencing;

import static io.votequorum.fencing.PartitionVerdictTest.R1;
import static io.votequorum.fencing.PartitionVerdictTest.R2;
import static io.votequorum.fencing.PartitionVerdictTest.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.model.ConfirmedFenceAction;
import io.votequorum.model.FenceStage;
import io.votequorum.model.RingId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The fencing ladder and safety rules 2 to 5, decided without any Kubernetes call. */
class FencePlanTest {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final FencingRules RULES =
            new FencingRules(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(30), 1, false);
    static final List<Report> NODE3_CUT = List.of(
            report(1, true, true, R2, 1L, 2L),
            report(2, true, true, R2, 1L, 2L),
            report(3, true, false, new RingId(3, 0x14), 3L));

    static final NodeFacts.SelfFencing WATCHDOG = new NodeFacts.SelfFencing(
            "/dev/watchdog", Duration.ofSeconds(30), Duration.ofSeconds(10), Optional.of(T0.plusSeconds(3600)));

    static NodeFacts node(long id, Optional<FenceRecord> record, Instant lastHeartbeat) {
        return new NodeFacts("node" + id, Optional.of(id), false, record, Optional.empty(), Optional.empty());
    }

    static List<NodeFacts> three(Optional<FenceRecord> node3, Instant node3Heartbeat) {
        return List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), node(3, node3, node3Heartbeat));
    }

    static Optional<FenceStage> stageOf(FencePlan plan, String node) {
        return plan.decisions().stream()
                .filter(d -> d.node().equals(node))
                .findFirst()
                .orElseThrow()
                .desired()
                .map(FenceRecord::stage);
    }

    @Test
    void aCutNodeIsCordonedAtOnceAndTheHealthyOnesAreLeftAlone() {
        FencePlan plan = FencePlan.decide(NODE3_CUT, three(Optional.empty(), T0), RULES, T0);
        assertThat(plan.refusal()).isEmpty();
        assertThat(stageOf(plan, "node3")).contains(FenceStage.Cordoned);
        assertThat(stageOf(plan, "node1")).isEmpty();
        assertThat(stageOf(plan, "node2")).isEmpty();
    }

    @Test
    void evictionWaitsForEvictAfterAndASilentNodeIsNeverForced() {
        FenceRecord cordoned = new FenceRecord(FenceStage.Cordoned, T0, "cut", Optional.empty());
        FencePlan early = FencePlan.decide(NODE3_CUT, three(Optional.of(cordoned), T0), RULES, T0.plusSeconds(9));
        assertThat(stageOf(early, "node3")).contains(FenceStage.Cordoned);

        FencePlan evicted = FencePlan.decide(NODE3_CUT, three(Optional.of(cordoned), T0), RULES, T0.plusSeconds(10));
        assertThat(stageOf(evicted, "node3")).contains(FenceStage.Evicted);
        assertThat(evicted.decisions().get(2).awaiting())
                .as("fenceTimeout has not passed yet")
                .isEmpty();

        // An hour without a heartbeat proves nothing: an isolated node keeps running its pods.
        FencePlan silent = FencePlan.decide(NODE3_CUT, three(Optional.of(cordoned), T0), RULES, T0.plusSeconds(3600));
        assertThat(stageOf(silent, "node3")).contains(FenceStage.Evicted);
        assertThat(silent.decisions().get(2).awaiting())
                .get()
                .asString()
                .contains(
                        "node3 is outside the quorate partition since " + T0,
                        "not known to be off",
                        "it has no watchdog-backed self-fencing",
                        "kubectl annotate node node3 votequorum.io/confirmed-off=");
    }

    @Test
    void aWatchdogBackedNodeIsForcedOnlyOnceTheSafeTimeHasPassed() {
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        NodeFacts armed = new NodeFacts(
                "node3", Optional.of(3L), false, Optional.of(evicted), Optional.of(WATCHDOG), Optional.empty());
        List<NodeFacts> nodes = List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), armed);
        // Nodes 1 and 2 saw node 3 leave at T0.
        List<Report> cut = stamped(T0, T0);
        // Safe at T0 + 30 s (selfFenceAfter) + 10 s (watchdog) + 10 s (margin).
        FencePlan before = FencePlan.decide(cut, nodes, RULES, T0.plusSeconds(49));
        assertThat(stageOf(before, "node3")).contains(FenceStage.Evicted);
        FencePlan safe = FencePlan.decide(cut, nodes, RULES, T0.plusSeconds(50));
        assertThat(stageOf(safe, "node3")).contains(FenceStage.Fenced);
        assertThat(safe.decisions().get(2).desired().orElseThrow().evidence())
                .get()
                .asString()
                .contains(
                        "self-fenced",
                        "/dev/watchdog",
                        "timeout 10s",
                        "30s",
                        T0.plusSeconds(50).toString());

        // A policy selfFenceAfter longer than the node's own pushes the safe time out.
        FencingRules longer = new FencingRules(
                RULES.evictAfter(),
                RULES.fenceTimeout(),
                RULES.healthyDelay(),
                1,
                false,
                Duration.ofSeconds(60),
                Duration.ofSeconds(10));
        assertThat(stageOf(FencePlan.decide(cut, nodes, longer, T0.plusSeconds(79)), "node3"))
                .contains(FenceStage.Evicted);
        assertThat(stageOf(FencePlan.decide(cut, nodes, longer, T0.plusSeconds(80)), "node3"))
                .contains(FenceStage.Fenced);

        // Without every member's time of seeing it leave, the absence is not dated for sure: no safe time.
        assertThat(stageOf(FencePlan.decide(NODE3_CUT, nodes, RULES, T0.plusSeconds(3600)), "node3"))
                .contains(FenceStage.Evicted);
        List<Report> oneStale = List.of(cut.get(0), withFresh(cut.get(1), false), cut.get(2));
        FencePlan undated = FencePlan.decide(oneStale, nodes, RULES, T0.plusSeconds(3600));
        assertThat(stageOf(undated, "node3")).contains(FenceStage.Evicted);
        assertThat(undated.decisions().get(2).awaiting())
                .get()
                .asString()
                .contains("waits until every member of the quorate partition reports when it last saw the node");
    }

    private static Report withFresh(Report r, boolean fresh) {
        return new Report(
                r.nodeName(),
                r.nodeId(),
                r.quorate(),
                r.ring(),
                r.members(),
                r.totalVotes(),
                r.quorum(),
                fresh,
                r.votes(),
                r.outsideSince());
    }

    @Test
    void aConfirmationNoOlderThanTheFencingForcesAtOnce() {
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        NodeFacts confirmed = new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(evicted),
                Optional.empty(),
                Optional.of(T0.plusSeconds(20)));
        FencePlan plan = FencePlan.decide(
                NODE3_CUT,
                List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), confirmed),
                RULES,
                T0.plusSeconds(21));
        assertThat(stageOf(plan, "node3")).contains(FenceStage.Fenced);
        assertThat(plan.decisions().get(2).desired().orElseThrow().evidence())
                .get()
                .asString()
                .contains("confirmed off at " + T0.plusSeconds(20), "votequorum.io/confirmed-off");

        // A confirmation left over from an earlier fencing confirms nothing now.
        NodeFacts leftover = new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(evicted),
                Optional.empty(),
                Optional.of(T0.minusSeconds(3600)));
        FencePlan stale = FencePlan.decide(
                NODE3_CUT,
                List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), leftover),
                RULES,
                T0.plusSeconds(120));
        assertThat(stageOf(stale, "node3")).contains(FenceStage.Evicted);
        assertThat(stale.decisions().get(2).awaiting()).get().asString().contains("older than its absence");

        // A confirmation naming a time still to come counts only from then.
        NodeFacts ahead = new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(evicted),
                Optional.empty(),
                Optional.of(T0.plusSeconds(300)));
        List<NodeFacts> withAhead = List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), ahead);
        FencePlan early = FencePlan.decide(NODE3_CUT, withAhead, RULES, T0.plusSeconds(299));
        assertThat(stageOf(early, "node3")).contains(FenceStage.Evicted);
        assertThat(early.decisions().get(2).awaiting()).get().asString().contains("a time still to come");
        assertThat(stageOf(FencePlan.decide(NODE3_CUT, withAhead, RULES, T0.plusSeconds(300)), "node3"))
                .contains(FenceStage.Fenced);
    }

    @Test
    void anotherFencersFenceCountsOnlyWhenDoneAfterTheNodeLeftAndReportedByAFreshMember() {
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        OtherFence after =
                new OtherFence("Pacemaker", "reboot", T0.plusMillis(2500), Optional.of("node1"), "node2", 2L, true);
        FencePlan plan = FencePlan.decide(NODE3_CUT, withFences(evicted, after), RULES, T0.plusSeconds(11));
        assertThat(stageOf(plan, "node3")).contains(FenceStage.Fenced);
        assertThat(plan.decisions().get(2).desired().orElseThrow().evidence())
                .get()
                .asString()
                .contains("fenced after it left the quorate partition", "reboot by Pacemaker", "node2's agent");

        // Older than the absence by more than the margin for corosync's detection (10 s by default).
        OtherFence before =
                new OtherFence("Pacemaker", "reboot", T0.minusSeconds(11), Optional.of("node1"), "node2", 2L, true);
        FencePlan older = FencePlan.decide(NODE3_CUT, withFences(evicted, before), RULES, T0.plusSeconds(120));
        assertThat(stageOf(older, "node3"))
                .as("a fence from before the node left says nothing of now")
                .contains(FenceStage.Evicted);
        assertThat(older.decisions().get(2).awaiting())
                .get()
                .asString()
                .contains("is older than its absence or was followed by a sign of life, and does not count");

        OtherFence stale =
                new OtherFence("Pacemaker", "reboot", T0.plusSeconds(3), Optional.of("node1"), "node2", 2L, false);
        OtherFence fromOutside =
                new OtherFence("Pacemaker", "reboot", T0.plusSeconds(3), Optional.of("node3"), "node3", 3L, true);
        assertThat(stageOf(
                        FencePlan.decide(
                                NODE3_CUT, withFences(evicted, stale, fromOutside), RULES, T0.plusSeconds(120)),
                        "node3"))
                .as("only a fresh agent inside the quorate partition is believed")
                .contains(FenceStage.Evicted);

        OtherFence ahead =
                new OtherFence("Pacemaker", "off", T0.plusSeconds(300), Optional.of("node1"), "node2", 2L, true);
        assertThat(stageOf(
                        FencePlan.decide(NODE3_CUT, withFences(evicted, ahead), RULES, T0.plusSeconds(299)), "node3"))
                .as("a completion time still to come counts only from then")
                .contains(FenceStage.Evicted);

        FenceRecord cordoned = new FenceRecord(FenceStage.Cordoned, T0, "cut", Optional.empty());
        assertThat(stageOf(FencePlan.decide(NODE3_CUT, withFences(cordoned, after), RULES, T0.plusSeconds(5)), "node3"))
                .as("a fence never skips eviction")
                .contains(FenceStage.Cordoned);
    }

    @Test
    void theAgentsTimeOfLeavingDecidesWhetherAnotherFencersFenceCameAfter() {
        // The agents saw node3 leave 800 ms before the operator did; Pacemaker was as quick as the operator.
        List<Report> seenLeaving = leftAt(T0.minusMillis(800));
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        OtherFence quick =
                new OtherFence("Pacemaker", "reboot", T0.minusMillis(300), Optional.of("node1"), "node2", 2L, true);
        FencePlan plan = FencePlan.decide(seenLeaving, withFences(evicted, quick), RULES, T0.plusSeconds(11));
        assertThat(stageOf(plan, "node3"))
                .as("completed after the agents saw node3 leave, though before the operator did")
                .contains(FenceStage.Fenced);
        OtherFence earlier =
                new OtherFence("Pacemaker", "reboot", T0.minusSeconds(30), Optional.of("node1"), "node2", 2L, true);
        assertThat(stageOf(
                        FencePlan.decide(NODE3_CUT, withFences(evicted, earlier), RULES, T0.plusSeconds(11)), "node3"))
                .as("without the agents' time, the operator's own is the reference")
                .contains(FenceStage.Evicted);

        // node3 came back after an earlier absence (the record's since) and left again at T0 + 60 s:
        // a fence from the earlier absence says nothing of this one.
        List<Report> leftAgain = leftAt(T0.plusSeconds(60));
        OtherFence fromBefore =
                new OtherFence("Pacemaker", "reboot", T0.plusSeconds(5), Optional.of("node1"), "node2", 2L, true);
        FencePlan again = FencePlan.decide(leftAgain, withFences(evicted, fromBefore), RULES, T0.plusSeconds(120));
        assertThat(stageOf(again, "node3")).contains(FenceStage.Evicted);
        assertThat(again.decisions().get(2).awaiting())
                .get()
                .asString()
                .contains("is older than its absence or was followed by a sign of life, and does not count");
    }

    /** NODE3_CUT, with nodes 1 and 2 saying when they saw node3 leave. */
    private static List<Report> leftAt(Instant at) {
        return NODE3_CUT.stream()
                .map(r -> r.nodeId() == 3
                        ? r
                        : new Report(
                                r.nodeName(),
                                r.nodeId(),
                                r.quorate(),
                                r.ring(),
                                r.members(),
                                r.totalVotes(),
                                r.quorum(),
                                r.fresh(),
                                r.votes(),
                                Map.of(3L, at)))
                .toList();
    }

    private static List<NodeFacts> withFences(FenceRecord node3, OtherFence... fences) {
        NodeFacts fenced = new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(node3),
                Optional.empty(),
                Optional.empty(),
                List.of(fences));
        return List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), fenced);
    }

    @Test
    void aConfirmationNeverSkipsEviction() {
        FenceRecord cordoned = new FenceRecord(FenceStage.Cordoned, T0, "cut", Optional.empty());
        NodeFacts confirmed = new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(cordoned),
                Optional.empty(),
                Optional.of(T0.plusSeconds(1)));
        FencePlan plan = FencePlan.decide(
                NODE3_CUT,
                List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), confirmed),
                RULES,
                T0.plusSeconds(2));
        assertThat(stageOf(plan, "node3")).contains(FenceStage.Cordoned);
    }

    @Test
    void theSameInputsGiveTheSamePlanAndTheLadderNeverStepsBack() {
        FenceRecord fenced = new FenceRecord(
                FenceStage.Fenced,
                T0,
                "cut",
                Optional.empty(),
                Optional.of("confirmed"),
                Optional.of(T0.plusSeconds(5)));
        FencePlan once =
                FencePlan.decide(NODE3_CUT, three(Optional.of(fenced), T0.plusSeconds(5)), RULES, T0.plusSeconds(11));
        FencePlan again =
                FencePlan.decide(NODE3_CUT, three(Optional.of(fenced), T0.plusSeconds(5)), RULES, T0.plusSeconds(11));
        assertThat(again).isEqualTo(once);
        assertThat(stageOf(once, "node3")).contains(FenceStage.Fenced);
        assertThat(once.decisions()).noneMatch(FencePlan.NodeDecision::changes);
    }

    @Test
    void aNodeBackInTheQuoratePartitionIsUnfencedAfterHealthyDelay() {
        List<Report> healed = List.of(
                report(1, true, true, R1, 1L, 2L, 3L),
                report(2, true, true, R1, 1L, 2L, 3L),
                report(3, true, true, R1, 1L, 2L, 3L));
        FenceRecord fenced = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        FencePlan first = FencePlan.decide(healed, three(Optional.of(fenced), T0), RULES, T0.plusSeconds(100));
        FenceRecord waiting = first.decisions().get(2).desired().orElseThrow();
        assertThat(waiting.healthySince()).contains(T0.plusSeconds(100));

        FencePlan soon = FencePlan.decide(healed, three(Optional.of(waiting), T0), RULES, T0.plusSeconds(129));
        assertThat(stageOf(soon, "node3")).isPresent();
        FencePlan later = FencePlan.decide(healed, three(Optional.of(waiting), T0), RULES, T0.plusSeconds(130));
        assertThat(stageOf(later, "node3")).isEmpty();
        assertThat(later.decisions().get(2).reason()).contains("longer than healthyDelay");
    }

    @Test
    void leavingAgainResetsTheHealthyClock() {
        FenceRecord waiting = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.of(T0.plusSeconds(100)));
        FencePlan plan = FencePlan.decide(NODE3_CUT, three(Optional.of(waiting), T0), RULES, T0.plusSeconds(110));
        assertThat(plan.decisions().get(2).desired().orElseThrow().healthySince())
                .isEmpty();
    }

    @Test
    void aStormBeyondMaxFencedNodesFencesNoFurtherNodeAndSaysSo() {
        RingId three = new RingId(1, 0x20);
        List<Report> twoLost = LongStream.rangeClosed(1, 5)
                .mapToObj(id -> new Report(
                        "node" + id,
                        id,
                        Optional.of(id <= 3),
                        Optional.of(id <= 3 ? three : new RingId(id, 0x20)),
                        id <= 3 ? Set.of(1L, 2L, 3L) : Set.of(id),
                        id <= 3 ? 3 : 1,
                        3,
                        true,
                        Report.Votes.oneEach(Set.of(1L, 2L, 3L, 4L, 5L))))
                .toList();
        List<NodeFacts> five = LongStream.rangeClosed(1, 5)
                .mapToObj(id -> node(id, Optional.empty(), T0))
                .toList();
        FencePlan plan = FencePlan.decide(twoLost, five, RULES, T0);
        assertThat(plan.fenced()).isEmpty();
        assertThat(plan.refusal()).get().asString().contains("2 nodes are outside", "maxFencedNodes is 1");
    }

    @Test
    void aPartitionThatCannotRuleOutAnotherFencesNothing() {
        // Node 1 alone reports quorum in a cluster of three one-vote nodes: only with expected votes lowered.
        List<Report> onlyNode1 =
                List.of(report(1, true, true, R2, 1L), report(2, false, false, null), report(3, false, false, null));
        FencePlan plan = FencePlan.decide(onlyNode1, three(Optional.empty(), T0), RULES, T0);
        assertThat(plan.verdict()).isInstanceOf(PartitionVerdict.NotExclusive.class);
        assertThat(plan.fenced()).isEmpty();
        assertThat(plan.refusal())
                .get()
                .asString()
                .contains("another partition may be quorate too", "nothing is fenced", "Fencing needs a quorum device");
    }

    @Test
    void withoutASettledQuorateViewNothingChanges() {
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        List<Report> stale = List.of(
                report(1, false, true, R1, 1L, 2L, 3L),
                report(2, false, true, R1, 1L, 2L, 3L),
                report(3, false, true, R1, 1L, 2L, 3L));
        FencePlan plan = FencePlan.decide(stale, three(Optional.of(evicted), T0), RULES, T0.plusSeconds(600));
        assertThat(plan.decisions()).noneMatch(FencePlan.NodeDecision::changes);
        assertThat(plan.refusal()).get().asString().startsWith("no node has a fresh heartbeat Lease");
    }

    @Test
    void pausedPolicyOrNodeStopsEveryAction() {
        FencePlan paused = FencePlan.decide(
                NODE3_CUT,
                three(Optional.empty(), T0),
                new FencingRules(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(30), 1, true),
                T0);
        assertThat(paused.fenced()).isEmpty();
        assertThat(paused.refusal()).contains("the policy is paused");

        NodeFacts pausedNode =
                new NodeFacts("node3", Optional.of(3L), true, Optional.empty(), Optional.empty(), Optional.empty());
        FencePlan plan = FencePlan.decide(
                NODE3_CUT,
                List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), pausedNode),
                RULES,
                T0);
        assertThat(plan.fenced()).isEmpty();
        assertThat(plan.decisions().get(2).reason()).isEqualTo("the Node is paused");
    }

    @Test
    void nodesThePlanCannotJudgeAreLeftInactive() {
        FenceRecord cordoned = new FenceRecord(FenceStage.Cordoned, T0, "cut", Optional.empty());
        NodeFacts unmapped = new NodeFacts(
                "other", Optional.empty(), false, Optional.of(cordoned), Optional.empty(), Optional.empty());
        FencePlan plan = FencePlan.decide(
                NODE3_CUT,
                List.of(
                        node(1, Optional.empty(), T0),
                        node(2, Optional.empty(), T0),
                        node(3, Optional.empty(), T0),
                        unmapped),
                RULES,
                T0.plusSeconds(100));
        FencePlan.NodeDecision other = plan.decisions().get(3);
        assertThat(other.active()).isFalse();
        assertThat(other.desired()).contains(cordoned);
        assertThat(plan.decisions().get(2).active()).isTrue();

        List<Report> stale = List.of(report(1, false, true, R1, 1L, 2L, 3L));
        assertThat(FencePlan.decide(stale, three(Optional.of(cordoned), T0), RULES, T0)
                        .decisions())
                .noneMatch(FencePlan.NodeDecision::active);
    }

    @Test
    void everyNodeIsNeverFenced() {
        // corosync's quorate members map to no Kubernetes node: all three Nodes are "outside".
        List<Report> elsewhere = List.of(report(1, true, true, new RingId(1, 9), 1L));
        List<NodeFacts> nodes = List.of(
                new NodeFacts("a", Optional.of(7L), false, Optional.empty(), Optional.empty(), Optional.empty()),
                new NodeFacts("b", Optional.of(8L), false, Optional.empty(), Optional.empty(), Optional.empty()));
        FencePlan plan = FencePlan.decide(
                elsewhere, nodes, new FencingRules(Duration.ZERO, Duration.ZERO, Duration.ZERO, 5, false), T0);
        assertThat(plan.fenced()).isEmpty();
        assertThat(plan.refusal()).get().asString().contains("never done");
    }

    @Test
    void eachDecisionSaysItsStepsInLadderOrder() {
        FenceRecord cordoned = new FenceRecord(FenceStage.Cordoned, T0, "cut", Optional.empty());
        FencePlan cut = FencePlan.decide(NODE3_CUT, three(Optional.empty(), T0), RULES, T0);
        assertThat(steps(cut, "node3", ConfirmedFenceAction.OutOfServiceTaint))
                .containsExactly(new NodeStep.Cordon(
                        "node3", cut.decisions().get(2).desired().orElseThrow()));
        assertThat(steps(cut, "node1", ConfirmedFenceAction.OutOfServiceTaint)).isEmpty();

        FencePlan evicting = FencePlan.decide(NODE3_CUT, three(Optional.of(cordoned), T0), RULES, T0.plusSeconds(10));
        assertThat(steps(evicting, "node3", ConfirmedFenceAction.OutOfServiceTaint))
                .containsExactly(new NodeStep.Evict("node3", cordoned.atStage(FenceStage.Evicted)));

        FenceRecord evicted = cordoned.atStage(FenceStage.Evicted);
        NodeFacts confirmed = new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(evicted),
                Optional.empty(),
                Optional.of(T0.plusSeconds(20)));
        FencePlan off = FencePlan.decide(
                NODE3_CUT,
                List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), confirmed),
                RULES,
                T0.plusSeconds(30));
        FenceRecord fenced = off.decisions().get(2).desired().orElseThrow();
        assertThat(steps(off, "node3", ConfirmedFenceAction.OutOfServiceTaint))
                .containsExactly(new NodeStep.Evict("node3", fenced), new NodeStep.MarkOutOfService("node3", fenced));
        assertThat(steps(off, "node3", ConfirmedFenceAction.ResourceDeletion))
                .containsExactly(new NodeStep.Evict("node3", fenced), new NodeStep.DeleteWorkloads("node3", fenced));
    }

    @Test
    void aNodeBackInTheQuoratePartitionKeepsItsRecordThenIsUnfencedAndAPausedOneGetsNoStep() {
        List<Report> healed = List.of(
                report(1, true, true, R1, 1L, 2L, 3L),
                report(2, true, true, R1, 1L, 2L, 3L),
                report(3, true, true, R1, 1L, 2L, 3L));
        FenceRecord fenced = new FenceRecord(
                FenceStage.Fenced, T0, "cut", Optional.empty(), Optional.of("confirmed"), Optional.of(T0));
        FencePlan waiting = FencePlan.decide(healed, three(Optional.of(fenced), T0), RULES, T0.plusSeconds(100));
        assertThat(steps(waiting, "node3", ConfirmedFenceAction.OutOfServiceTaint))
                .containsExactly(new NodeStep.Keep(
                        "node3", waiting.decisions().get(2).desired().orElseThrow()));

        FencePlan back = FencePlan.decide(
                healed,
                three(Optional.of(waiting.decisions().get(2).desired().orElseThrow()), T0),
                RULES,
                T0.plusSeconds(130));
        assertThat(steps(back, "node3", ConfirmedFenceAction.OutOfServiceTaint))
                .containsExactly(new NodeStep.Unfence("node3"));

        NodeFacts paused =
                new NodeFacts("node3", Optional.of(3L), true, Optional.of(fenced), Optional.empty(), Optional.empty());
        FencePlan hands = FencePlan.decide(
                healed,
                List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), paused),
                RULES,
                T0.plusSeconds(130));
        assertThat(steps(hands, "node3", ConfirmedFenceAction.OutOfServiceTaint))
                .isEmpty();
    }

    private static List<NodeStep> steps(FencePlan plan, String node, ConfirmedFenceAction action) {
        return plan.decisions().stream()
                .filter(d -> d.node().equals(node))
                .findFirst()
                .orElseThrow()
                .steps(action);
    }

    /** NODE3_CUT where nodes 1 and 2 list node 3 (three one-vote nodes) and saw it leave at these times. */
    private static List<Report> stamped(Instant byNode1, Instant byNode2) {
        Report.Votes three = Report.Votes.oneEach(Set.of(1L, 2L, 3L));
        return List.of(
                new Report(
                        "node1",
                        1,
                        Optional.of(true),
                        Optional.of(R2),
                        Set.of(1L, 2L),
                        2,
                        2,
                        true,
                        three,
                        Map.of(3L, byNode1)),
                new Report(
                        "node2",
                        2,
                        Optional.of(true),
                        Optional.of(R2),
                        Set.of(1L, 2L),
                        2,
                        2,
                        true,
                        three,
                        Map.of(3L, byNode2)),
                NODE3_CUT.get(2));
    }

    private static NodeFacts watchdogNode3(FenceRecord record, Optional<Instant> confirmed, Optional<Instant> alive) {
        return new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(record),
                Optional.of(WATCHDOG),
                confirmed,
                List.of(),
                alive);
    }

    private static FencePlan decide(List<Report> reports, NodeFacts node3, FencingRules rules, Instant now) {
        return FencePlan.decide(
                reports, List.of(node(1, Optional.empty(), T0), node(2, Optional.empty(), T0), node3), rules, now);
    }

    @Test
    void theSafeTimeCountsFromTheLastTimeAMemberSawTheNodeInItsRingNotFromTheFirstExclusion() {
        // Cut at T0, back (unseen by the operator) at T0 + 20 s, cut again at T0 + 40 s: node 1 saw it leave
        // again at T0 + 40 s, node 2, itself cut off in between, still says T0. The latest counts.
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        List<Report> flapped = stamped(T0.plusSeconds(40), T0);
        FencingRules rules = new FencingRules(
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                1,
                false,
                Duration.ofSeconds(30),
                Duration.ofSeconds(10));
        NodeFacts node3 = watchdogNode3(evicted, Optional.empty(), Optional.empty());
        assertThat(stageOf(decide(flapped, node3, rules, T0.plusSeconds(50)), "node3"))
                .as("T0 + 30 + 10 + 10 would be the safe time of the first absence")
                .contains(FenceStage.Evicted);
        assertThat(stageOf(decide(flapped, node3, rules, T0.plusSeconds(89)), "node3"))
                .contains(FenceStage.Evicted);
        FencePlan safe = decide(flapped, node3, rules, T0.plusSeconds(90));
        assertThat(stageOf(safe, "node3")).contains(FenceStage.Fenced);
        assertThat(safe.decisions().get(2).desired().orElseThrow().offSince()).contains(T0.plusSeconds(90));

        // A confirmation from the first absence says nothing of the second.
        NodeFacts confirmedEarly = watchdogNode3(evicted, Optional.of(T0.plusSeconds(15)), Optional.empty());
        assertThat(stageOf(decide(flapped, confirmedEarly, rules, T0.plusSeconds(60)), "node3"))
                .contains(FenceStage.Evicted);
    }

    @Test
    void aSignOfLifeAfterTheEvidenceVoidsItAndAForcedNodeGoesBackToEvicted() {
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        Instant confirmedAt = T0.plusSeconds(20);
        NodeFacts rebooted = watchdogNode3(evicted, Optional.of(confirmedAt), Optional.of(T0.plusSeconds(25)));
        assertThat(stageOf(decide(NODE3_CUT, rebooted, RULES, T0.plusSeconds(30)), "node3"))
                .as("its kubelet or agent was heard after the confirmation")
                .contains(FenceStage.Evicted);
        OtherFence pacemaker =
                new OtherFence("Pacemaker", "reboot", T0.plusSeconds(5), Optional.of("node1"), "node2", 2L, true);
        NodeFacts back = new NodeFacts(
                "node3",
                Optional.of(3L),
                false,
                Optional.of(evicted),
                Optional.empty(),
                Optional.empty(),
                List.of(pacemaker),
                Optional.of(T0.plusSeconds(40)));
        assertThat(stageOf(decide(NODE3_CUT, back, RULES, T0.plusSeconds(60)), "node3"))
                .as("rebooted by Pacemaker, and back")
                .contains(FenceStage.Evicted);

        FenceRecord forced = new FenceRecord(
                FenceStage.Fenced, T0, "cut", Optional.empty(), Optional.of("confirmed"), Optional.of(confirmedAt));
        FencePlan stillOff = decide(
                NODE3_CUT,
                watchdogNode3(forced, Optional.of(confirmedAt), Optional.of(T0.plusSeconds(3))),
                RULES,
                T0.plusSeconds(100));
        assertThat(stageOf(stillOff, "node3")).contains(FenceStage.Fenced);
        FencePlan alive = decide(
                NODE3_CUT,
                watchdogNode3(forced, Optional.of(confirmedAt), Optional.of(T0.plusSeconds(99))),
                RULES,
                T0.plusSeconds(100));
        assertThat(stageOf(alive, "node3")).contains(FenceStage.Evicted);
        assertThat(alive.decisions().get(2).steps(ConfirmedFenceAction.ResourceDeletion))
                .as("no forced deletion once it is seen alive")
                .noneMatch(NodeStep.DeleteWorkloads.class::isInstance);
        assertThat(alive.decisions().get(2).reason()).contains("seen alive at " + T0.plusSeconds(99));
    }

    @Test
    void aQuorumDevicesVoteLifeIsAddedToTheSafeTime() {
        Report.Votes device =
                new Report.Votes(Map.of(1L, 1, 2L, 1, 3L, 1), 4, 1, true, false, false, Duration.ofSeconds(25));
        List<Report> withDevice = NODE3_CUT.stream()
                .map(r -> new Report(
                        r.nodeName(),
                        r.nodeId(),
                        r.quorate(),
                        r.ring(),
                        r.members(),
                        r.totalVotes() + 1,
                        3,
                        r.fresh(),
                        device,
                        r.nodeId() == 3 ? Map.of() : Map.of(3L, T0)))
                .toList();
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        NodeFacts node3 = watchdogNode3(evicted, Optional.empty(), Optional.empty());
        // 30 s selfFenceAfter + 10 s watchdog + 10 s margin + 25 s the device's vote may have lasted.
        assertThat(stageOf(decide(withDevice, node3, RULES, T0.plusSeconds(74)), "node3"))
                .contains(FenceStage.Evicted);
        assertThat(stageOf(decide(withDevice, node3, RULES, T0.plusSeconds(75)), "node3"))
                .contains(FenceStage.Fenced);
    }

    @Test
    void aNodeThatLeavesAgainWhileWaitingOutHealthyDelayStartsANewAbsenceAndKeepsWhatWasDone() {
        FenceRecord healing = new FenceRecord(
                FenceStage.Fenced,
                T0,
                "cut",
                Optional.of(T0.plusSeconds(60)),
                Optional.of("confirmed"),
                Optional.of(T0.plusSeconds(20)));
        FencePlan again = decide(
                NODE3_CUT,
                watchdogNode3(healing, Optional.of(T0.plusSeconds(20)), Optional.empty()),
                RULES,
                T0.plusSeconds(70));
        FenceRecord record = again.decisions().get(2).desired().orElseThrow();
        assertThat(record.stage()).as("evicted already, never below").isEqualTo(FenceStage.Evicted);
        assertThat(record.since()).isEqualTo(T0.plusSeconds(70));
        assertThat(record.evidence()).isEmpty();
    }

    @Test
    void withFencingDisabledHealedNodesAreReleasedAndNoOtherIsTouched() {
        FencingRules disabled = new FencingRules(
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                1,
                false,
                Duration.ZERO,
                FencingRules.DEFAULT_SAFETY_MARGIN,
                false);
        FenceRecord evicted = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.empty());
        FencePlan outside = FencePlan.decide(NODE3_CUT, three(Optional.of(evicted), T0), disabled, T0.plusSeconds(600));
        assertThat(outside.decisions()).noneMatch(FencePlan.NodeDecision::changes);
        assertThat(outside.decisions().get(2).active()).isFalse();
        List<Report> healed = List.of(
                report(1, true, true, R1, 1L, 2L, 3L),
                report(2, true, true, R1, 1L, 2L, 3L),
                report(3, true, true, R1, 1L, 2L, 3L));
        FenceRecord healing = new FenceRecord(FenceStage.Evicted, T0, "cut", Optional.of(T0.plusSeconds(100)));
        FencePlan released = FencePlan.decide(healed, three(Optional.of(healing), T0), disabled, T0.plusSeconds(130));
        assertThat(released.decisions().get(2).steps(ConfirmedFenceAction.OutOfServiceTaint))
                .containsExactly(new NodeStep.Unfence("node3"));
    }
}
