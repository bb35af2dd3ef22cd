package io.votequorum.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.model.FencingMode;
import io.votequorum.simulation.Timeline.Fault;
import io.votequorum.simulation.Timeline.Kind;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sequences that broke the safety rules over time, each as a timeline of its own: every one ended
 * with a node forced off while it still ran, a node fenced that corosync counted in, or a node left
 * fenced after it healed.
 */
class RegressionSimulation {

    private static World.Settings settings(int nodes, FencingMode mode, boolean selfFence, boolean foreign) {
        return new World.Settings(nodes, Collections.nCopies(nodes, Duration.ZERO), mode, selfFence, foreign);
    }

    private static Fault fault(Kind kind, int at, int length, int node) {
        return new Fault(kind, Duration.ofSeconds(at), Duration.ofSeconds(length), node, node, 0);
    }

    private static Fault fault(Kind kind, int at, int length, int node, int variant) {
        return new Fault(kind, Duration.ofSeconds(at), Duration.ofSeconds(length), node, node, variant);
    }

    private static void holds(Timeline timeline) {
        World world = timeline.run();
        if (Boolean.getBoolean("simulation.print")) {
            System.out.println(world.story.told());
        }
        assertThat(world.story.violations())
                .as("%s%nthe timeline:%n%s", TimelineSimulation.describe(timeline), world.story.told())
                .isEmpty();
    }

    /**
     * Node 3 is cut for 8 s (too short for its pod to be evicted), comes back, and is cut again 25 s
     * after the first cut, while still waiting out healthyDelay: it was quorate in between and fed its
     * watchdog, so the safe time counts from the second cut, not from the first exclusion, while its pod
     * still runs.
     */
    @Test
    void aNodeThatCameBackAndLeftAgainIsForcedOnlyOnceItsWatchdogCouldHaveFired() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(fault(Kind.CUT, 10, 8, 3), fault(Kind.CUT, 35, 150, 3))));
    }

    /** The same, with the heal unseen: no operator led while node 3 was back. */
    @Test
    void aHealTheOperatorDidNotSeeStillStartsANewAbsence() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(fault(Kind.CUT, 10, 8, 3), fault(Kind.OPERATOR_DOWN, 15, 15, 1), fault(Kind.CUT, 35, 150, 3))));
    }

    /**
     * Pacemaker reboots node 3 while no operator leads; node 3 comes back (its kubelet and agent reach
     * the API server, its pods run again) still outside corosync's quorate partition. The fence is over:
     * forced deletion of its pods now would run them twice.
     */
    @Test
    void aFenceOfANodeThatCameBackNoLongerCounts() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, false, false),
                List.of(
                        fault(Kind.CONFIRMED_ACTION, 1, 1, 1, 1),
                        fault(Kind.OPERATOR_DOWN, 5, 60, 1),
                        fault(Kind.CUT_COROSYNC, 10, 150, 3),
                        fault(Kind.PACEMAKER_FENCE, 15, 1, 3, 1))));
    }

    /**
     * While the policy is paused, node 2 loses power and comes back; it rejoins the quorate ring while
     * the API server is down. When the API server and the policy are back, the statuses of nodes 1 and
     * 3, still without node 2, take a few seconds more to be written, while their heartbeats could be
     * renewed: a fresh heartbeat would vouch for a report that is no longer current, and node 2, a
     * member, would be fenced.
     */
    @Test
    void aHeartbeatVouchesOnlyForAReportThatIsCurrent() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(
                        fault(Kind.PAUSE, 5, 60, 1),
                        fault(Kind.POWER_OFF, 10, 15, 2),
                        fault(Kind.API_DOWN, 40, 25, 1),
                        fault(Kind.STATUS_WRITES_FAIL, 64, 6, 1),
                        fault(Kind.STATUS_WRITES_FAIL, 64, 6, 3))));
    }

    /**
     * Found by the simulation: node 3 rejoins the quorate ring while the API server is down for 7 s,
     * shorter than a heartbeat Lease. When it returns, every Lease is still valid, and every report is
     * from before the outage, without node 3: a view to act on only once some agent has renewed again.
     */
    @Test
    void reportsFromBeforeAShortOutageOfTheApiServerWaitForTheAgents() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(fault(Kind.PAUSE, 5, 31, 1), fault(Kind.CUT, 10, 18, 3), fault(Kind.API_DOWN, 29, 7, 1))));
    }

    /**
     * Nodes 1 and 2 can no longer write their status, though their agents run; node 3 heals and
     * reports the newer ring with all three. Nothing may be done from the old view of nodes 1 and 2.
     */
    @Test
    void aViewWhoseStatusWritesFailDoesNotOutliveItsRing() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(
                        fault(Kind.CUT, 10, 20, 3),
                        fault(Kind.STATUS_WRITES_FAIL, 25, 100, 1),
                        fault(Kind.STATUS_WRITES_FAIL, 25, 100, 2))));
    }

    /**
     * Node 1 is cut off itself and sees every other node leave from then; node 3, rebooted by Pacemaker
     * while a member, comes back and is cut later. Node 1's early time must not date node 3's absence.
     */
    @Test
    void aReporterThatWasCutOffItselfDoesNotDateAnotherNodesAbsence() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, false, false),
                List.of(
                        fault(Kind.CUT, 5, 120, 1),
                        fault(Kind.PACEMAKER_FENCE, 15, 1, 3, 1),
                        fault(Kind.CUT_COROSYNC, 80, 100, 3))));
    }

    /**
     * Found by the simulation: node 2 is cut off and sees node 3 leave from its own isolation; node 3
     * is back in a quorate ring with node 1, whose status writes fail, and is cut again. The quorate
     * partition of nodes 1 and 2 then dates node 3's absence only by node 2, from before node 3 was last
     * quorate: the absence is not dated until node 1 reports again, and nothing is forced on it.
     */
    @Test
    void anAbsenceNotEveryMemberDatesGivesNoSafeTime() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(
                        fault(Kind.CUT_COROSYNC, 14, 29, 2),
                        fault(Kind.FLAP, 18, 55, 3, 0),
                        fault(Kind.STATUS_WRITES_FAIL, 21, 80, 1))));
    }

    /**
     * Two nodes and the Lease as quorum device, both casting its vote; node 1, which holds the Lease, is
     * cut off just after it renewed it. Through votequorum's sync node 2 keeps the vote it cast in the ring before and reads
     * quorate alone until its poll withdraws it: its report of that moment must not fence node 1, which
     * holds the Lease and is quorate with the device's vote all along.
     */
    @Test
    void theLostSidesLeftoverDeviceVoteFencesNoOne() {
        holds(new Timeline(
                new World.Settings(
                        2, Collections.nCopies(2, Duration.ZERO), FencingMode.Enforce, true, false, true, false),
                List.of(new Fault(Kind.CUT, Duration.ofMillis(10_225), Duration.ofSeconds(60), 1, 1, 0))));
    }

    /** The last corosync node has no Kubernetes Node, and another cluster's Node carries its node id. */
    @Test
    void aNodeOfAnotherClusterIsNeverTakenForOneOfThisCluster() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, true),
                List.of(fault(Kind.CUT, 10, 120, 3), fault(Kind.PACEMAKER_FENCE, 20, 1, 3, 0))));
    }

    /** In a dry run, a node back in the quorate partition leaves fencedNodes once healthyDelay has passed. */
    @Test
    void aHealedNodeLeavesTheDryRunsFencedNodes() {
        holds(new Timeline(settings(3, FencingMode.DryRun, true, false), List.of(fault(Kind.CUT, 10, 30, 2))));
    }

    /** A policy deleted while it has a node fenced lets it go. */
    @Test
    void aDeletedPolicyLeavesNoFenceBehind() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(fault(Kind.CUT, 10, 100, 2), fault(Kind.POLICY_DELETED, 40, 60, 1))));
    }

    /** With fencing turned to Disabled while a node is fenced, the node is let go once it is back. */
    @Test
    void fencingDisabledStillLetsHealedNodesGo() {
        holds(new Timeline(
                settings(3, FencingMode.Enforce, true, false),
                List.of(fault(Kind.CUT, 10, 40, 2), fault(Kind.MODE, 30, 1, 1, 0))));
    }
}
