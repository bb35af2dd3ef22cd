package io.votequorum.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.testenv.CorosyncLog;
import io.votequorum.testenv.PowerSwitch;
import io.votequorum.testenv.RealNodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The failure matrix, end to end: four real nodes (corosync, containerd and a kubelet each) and a full
 * control plane, votequorum-operator installed from its chart with the image built here, an
 * application (a Deployment with a PodDisruptionBudget and a StatefulSet), and an Enforce policy from
 * deploy/examples with short timings and self-fencing, whose watchdog and power switch are
 * {@link PowerSwitch}. Each scenario names the nodes it may fence; a watcher checks every half second
 * that no other node is touched, and each scenario ends with every node clean. Figures are printed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailureMatrixE2E {

    private static final Path REPO =
            Path.of(System.getProperty("votequorum.repo", ".")).toAbsolutePath();
    private static final String SYSTEM = "votequorum-system";
    private static final String APP = Shop.NAMESPACE;
    private static final String CLUSTER = "vqreal";
    private static final int NODES = 4;
    private static final Duration WATCHDOG_TIMEOUT = Duration.ofSeconds(10);
    private static final String FENCING_RECORD = "votequorum.io/fencing";
    /** The policy's healthyDelay (5 s) and more: how long after corosync takes a node back it may still be fenced. */
    private static final Duration UNFENCE_WITHIN = Duration.ofSeconds(20);

    private static final Set<String> OUR_TAINTS =
            Set.of("votequorum.io/inquorate", "node.kubernetes.io/out-of-service");

    private static RealNodes nodes;
    private static KubernetesClient client;
    private static PowerSwitch power;
    private static Shop shop;
    private static FenceWatch fenceWatch;
    private static final List<String> figures = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void install() throws Exception {
        long started = System.nanoTime();
        nodes = RealNodes.start(NODES);
        client = nodes.client();
        Path hardware = Files.createDirectories(RealNodes.STATE.resolve("e2e-hardware"));
        power = new PowerSwitch(nodes, hardware, WATCHDOG_TIMEOUT);
        // Both operator replicas on node1, which no scenario takes away.
        nodes.installProduct(
                SYSTEM,
                "--set",
                "agent.leaseDuration=6s",
                "--set",
                "agent.renewInterval=1s",
                "--set-string",
                "operator.nodeSelector.kubernetes\\.io/hostname=node1");
        power.wireAgents(SYSTEM);
        shop = new Shop(nodes);
        shop.deploy(REPO);
        applyPolicy("SelfFence", "");
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    assertThat(condition("Quorate")).isEqualTo("True");
                    for (int i = 1; i <= NODES; i++) {
                        assertThat(power.armed(i))
                                .as("node%d's watchdog fed", i)
                                .isTrue();
                    }
                });
        fenceWatch = new FenceWatch();
        System.out.printf(
                "FailureMatrixE2E: 4 nodes, chart, application and policy ready in %.1f s%n",
                (System.nanoTime() - started) / 1e9);
    }

    @AfterAll
    static void down() {
        figures.forEach(f -> System.out.println("FailureMatrixE2E figure: " + f));
        if (power != null) {
            power.log().forEach(l -> System.out.println("FailureMatrixE2E power: " + l));
            power.close();
        }
        if (fenceWatch != null) {
            fenceWatch.close();
        }
        if (nodes != null) {
            nodes.saveLogs(REPO.resolve("target/e2e-logs"));
            nodes.close();
        }
    }

    /** 11. Malformed policies and QuorumStatus objects are refused at admission, naming the field. */
    @Test
    @Order(1)
    void badInputIsRefusedAtAdmissionAndChangesNothing() {
        String corosyncBefore = votesOf(1);
        String reportBefore =
                nodes.kubectl("get", "qs", "node1", "-o", "jsonpath={.spec}").output();
        List<String[]> bad = List.of(
                new String[] {"spec.fencing.mode", """
                        apiVersion: votequorum.io/v1alpha1
                        kind: VoteQuorumPolicy
                        metadata: {name: bad-mode}
                        spec: {clusterName: other, fencing: {mode: Always}}"""},
                new String[] {"evictAfter", """
                        apiVersion: votequorum.io/v1alpha1
                        kind: VoteQuorumPolicy
                        metadata: {name: bad-duration}
                        spec: {clusterName: other, fencing: {evictAfter: soon}}"""},
                new String[] {"expectedVotes", """
                        apiVersion: votequorum.io/v1alpha1
                        kind: VoteQuorumPolicy
                        metadata: {name: bad-expected}
                        spec: {clusterName: other, expectedVotes: 0}"""},
                new String[] {"spec.clusterName", """
                        apiVersion: votequorum.io/v1alpha1
                        kind: VoteQuorumPolicy
                        metadata: {name: no-cluster}
                        spec: {fencing: {mode: DryRun}}"""},
                new String[] {"spec.votes", null, "{\"spec\": {\"votes\": -1}}"},
                new String[] {"spec.selfFenceAfter", null, "{\"spec\": {\"selfFenceAfter\": \"later\"}}"});
        for (String[] input : bad) {
            RealNodes.Result result = input[1] != null
                    ? nodes.kubectl("create", "-f", write(input[1]).toString())
                    : nodes.kubectl("patch", "qs", "node1", "--type", "merge", "-p", input[2]);
            assertThat(result.exitCode())
                    .as("a bad %s: %s", input[0], result.output())
                    .isNotZero();
            assertThat(result.output()).as("the refusal names the field").contains(input[0]);
            figures.add("refused (" + input[0] + "): "
                    + result.output()
                            .lines()
                            .filter(l -> l.contains(input[0]))
                            .findFirst()
                            .orElse("")
                            .trim());
        }
        assertThat(client.resources(VoteQuorumPolicy.class).list().getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactly(CLUSTER);
        assertThat(votesOf(1)).as("corosync unchanged").isEqualTo(corosyncBefore);
        assertThat(nodes.kubectl("get", "qs", "node1", "-o", "jsonpath={.spec}").output())
                .isEqualTo(reportBefore);
        assertAllClean();
    }

    /** 6. The agent's pod killed on a quorate node: corosync still lists the node, so nothing is fenced. */
    @Test
    @Order(2)
    void anAgentPodKilledOnAQuorateNodeFencesNothing() {
        fenceWatch.allow();
        Pod agent = agentOn(2);
        ok(nodes.kubectl("-n", SYSTEM, "delete", "pod", agent.getMetadata().getName(), "--wait=false"));
        Instant deleted = Instant.now();
        // Longer than the agent's Lease (6 s) and the policy's evictAfter (3 s): its report goes stale.
        sleep(Duration.ofSeconds(20));
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Pod next = agentOn(2);
                    assertThat(next.getMetadata().getUid())
                            .isNotEqualTo(agent.getMetadata().getUid());
                    assertThat(Shop.ready(next)).isTrue();
                });
        figures.add(String.format(
                "agent on node2 deleted: replaced and Ready after %.1f s; nothing fenced", since(deleted)));
        assertThat(power.poweredOff(2)).as("node2 kept running").isEmpty();
        assertAllClean();
    }

    /**
     * 10. A node's kubelet stopped while corosync keeps it quorate: the operator does not fence it.
     * Kubernetes marks it NotReady and taints it unreachable; its pods would go after their 300 s toleration.
     */
    @Test
    @Order(3)
    void aStoppedKubeletIsNotFencedWhileCorosyncCountsTheNode() {
        fenceWatch.allow();
        Instant stopped = Instant.now();
        nodes.stopKubelet(2);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> !nodes.ready(2));
        double notReady = since(stopped);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> taints(2).stream().anyMatch(t -> "node.kubernetes.io/unreachable".equals(t.getKey())));
        double unreachable = since(stopped);
        sleep(Duration.ofSeconds(10));
        assertThat(nodes.quorate(2)).as("corosync still counts node2").isTrue();
        assertThat(fenced(2)).as("node2 not fenced").isEmpty();
        nodes.startKubelet(2);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> nodes.ready(2));
        figures.add(String.format(
                "kubelet of node2 stopped: NotReady after %.1f s, unreachable taint after %.1f s "
                        + "(Kubernetes); not fenced; Ready again %.1f s after the stop",
                notReady, unreachable, since(stopped)));
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> taints(2).stream().noneMatch(t -> "node.kubernetes.io/unreachable".equals(t.getKey())));
        assertAllClean();
    }

    /**
     * 2. Split 2/2 of 4 nodes: neither half is quorate, nothing is fenced, and the policy says why.
     * 9 (in part). Votes changed in the policy meanwhile reach corosync only once it is quorate again.
     */
    @Test
    @Order(4)
    void aSplitInTwoHalvesFencesNothing() {
        // With self-fencing on, all four would power off: neither half has quorum.
        selfFencing(false);
        fenceWatch.allow();
        Instant split = Instant.now();
        for (int a : new int[] {1, 2}) {
            for (int b : new int[] {3, 4}) {
                nodes.isolate(a, b);
            }
        }
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    for (int i = 1; i <= NODES; i++) {
                        assertThat(quorumStatus(i).getStatus().getQuorate())
                                .as("node%d quorate", i)
                                .isFalse();
                    }
                    assertThat(condition("Quorate")).isEqualTo("Unknown");
                });
        double seen = since(split);
        sleep(Duration.ofSeconds(15));
        String reason = conditionField("Quorate", "reason");
        String message = conditionField("Quorate", "message");
        assertThat(reason).isEqualTo("NoSettledQuorateView");
        assertThat(message).as("the Quorate condition explains").isNotBlank();
        figures.add(String.format(
                "2/2 split: every node inquorate and the policy's Quorate Unknown after %.1f s (%s: %s); "
                        + "nothing fenced for 15 s",
                seen, reason, message));

        // 9. A vote change made while no partition is quorate waits for quorum.
        String votesBefore = votesOf(1);
        applyPolicy("None", "  votes:\n    - {nodeName: node1, votes: 2}\n");
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> "NotQuorate".equals(conditionField("Applied", "reason")));
        String waiting = conditionField("Applied", "message");
        sleep(Duration.ofSeconds(5));
        assertThat(votesOf(1)).as("corosync unchanged while inquorate").isEqualTo(votesBefore);
        Instant healed = Instant.now();
        nodes.heal(1);
        nodes.heal(2);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    for (int i = 1; i <= NODES; i++) {
                        assertThat(quorumStatus(i).getStatus().getQuorate())
                                .as("node%d quorate", i)
                                .isTrue();
                    }
                });
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    assertThat(nodes.exec(1, "corosync-quorumtool", "-l").output())
                            .containsPattern("1\\s+2 node1");
                    assertThat(condition("Applied")).isEqualTo("True");
                });
        figures.add(String.format(
                "votes changed during the split: held (Applied=False, %s), applied %.1f s after the heal",
                waiting, since(healed)));
        applyPolicy("None", "  votes:\n    - {nodeName: node1, votes: 1}\n");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(nodes.quorumtool(1)).containsPattern("Total votes:\\s+4"));
        selfFencing(true);
        assertAllClean();
    }

    /**
     * 3. A graceful leave: corosync stopped cleanly on node 4. The others lose it, so it is fenced as
     * the policy says; its agent can no longer confirm quorum, so its watchdog runs out and powers it
     * off. Powered on again, it rejoins and is unfenced.
     */
    @Test
    @Order(5)
    void aGracefulLeaveIsFencedPerPolicyAndComesBackCleanly() {
        fenceWatch.allow(4);
        Instant left = Instant.now();
        nodes.stopCorosync(4);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> cordoned(4));
        double cordoned = since(left);
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> hasTaint(4, "node.kubernetes.io/out-of-service"));
        double outOfService = since(left);
        assertThat(power.poweredOff(4))
                .as("node4 off before the out-of-service taint")
                .isPresent();
        double off = Duration.between(left, power.poweredOff(4).orElseThrow()).toMillis() / 1000.0;
        Instant back = Instant.now();
        power.powerOn(4);
        awaitClean(4);
        figures.add(String.format(
                "graceful leave of node4: cordoned +%.1f s, powered off (watchdog) +%.1f s, "
                        + "out-of-service +%.1f s; back and unfenced %.1f s after power-on",
                cordoned, off, outOfService, since(back)));
        assertAllClean();
    }

    /**
     * 1. Cut 1 of 4: only that node is fenced along the ladder, the application recovers on the others,
     * and the StatefulSet's pod never runs twice: its old copy's processes on the host are gone before
     * any process of its new copy exists. After the heal, the node is unfenced.
     */
    @Test
    @Order(6)
    void aCutNodeIsFencedAlongTheLadderAndItsStatefulSetPodNeverRunsTwice() throws Exception {
        Pod db = shop.gatherOn(3);
        String oldUid = db.getMetadata().getUid();
        assertThat(Shop.processesOf(oldUid)).as("db-0's processes on node3").isNotEmpty();
        fenceWatch.allow(3);
        Instant cut = Instant.now();
        nodes.cut(3);
        Instant cordoned = null;
        Instant noExecute = null;
        Instant outOfService = null;
        Instant oldGone = null;
        Instant newRunning = null;
        Instant newReady = null;
        String newNode = null;
        boolean twice = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline && newReady == null) {
            boolean oldAlive = !Shop.processesOf(oldUid).isEmpty();
            if (!oldAlive && oldGone == null) {
                oldGone = Instant.now();
            }
            Pod current = shop.pod("db-0");
            if (current != null && !oldUid.equals(current.getMetadata().getUid())) {
                boolean newAlive =
                        !Shop.processesOf(current.getMetadata().getUid()).isEmpty();
                if (newAlive && newRunning == null) {
                    newRunning = Instant.now();
                    newNode = current.getSpec().getNodeName();
                }
                twice |= newAlive && oldAlive;
                if (Shop.ready(current) && !shop.on(current, 3)) {
                    newReady = Instant.now();
                }
            }
            if (cordoned == null && cordoned(3)) {
                cordoned = Instant.now();
            }
            if (noExecute == null && hasTaint(3, "votequorum.io/inquorate", "NoExecute")) {
                noExecute = Instant.now();
            }
            if (outOfService == null && hasTaint(3, "node.kubernetes.io/out-of-service")) {
                outOfService = Instant.now();
            }
            Thread.sleep(200);
        }
        assertThat(twice).as("db-0 ran twice").isFalse();
        assertThat(newReady).as("db-0 Ready on a surviving node within 180 s").isNotNull();
        assertThat(oldGone).isNotNull().isBeforeOrEqualTo(newRunning);
        assertThat(cordoned).isNotNull();
        assertThat(noExecute).isNotNull();
        assertThat(outOfService).isNotNull();
        assertThat(power.poweredOff(3)).as("node3 powered itself off").isPresent();
        assertThat(power.poweredOff(3).orElseThrow()).isBefore(outOfService);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(shop.web())
                        .filteredOn(p -> Shop.ready(p)
                                && !shop.on(p, 3)
                                && p.getMetadata().getDeletionTimestamp() == null)
                        .hasSize(2));
        double webBack = since(cut);
        figures.add(String.format(
                "cut of node3: cordoned +%.1f s, NoExecute +%.1f s, powered off +%.1f s, "
                        + "out-of-service +%.1f s, old db-0 gone +%.1f s, new db-0 running on %s +%.1f s and Ready +%.1f s, "
                        + "web back to 2 Ready +%.1f s",
                secs(cut, cordoned),
                secs(cut, noExecute),
                secs(cut, power.poweredOff(3).orElseThrow()),
                secs(cut, outOfService),
                secs(cut, oldGone),
                newNode,
                secs(cut, newRunning),
                secs(cut, newReady),
                webBack));

        Instant healed = Instant.now();
        nodes.heal(3);
        power.powerOn(3);
        awaitClean(3);
        figures.add(
                String.format("heal of node3: powered on, rejoined and unfenced %.1f s after the heal", since(healed)));
        assertAllClean();
    }

    /**
     * 12. A flap with self-fencing: node3 is cut, comes back within healthyDelay (still cordoned, its
     * watchdog fed again), and is cut again. It is forced only once its watchdog could have fired after
     * the second cut, never on the safe time of the first, and db-0 never runs twice.
     */
    @Test
    @Order(12)
    void aNodeCutAgainWhileItHealsIsForcedOnlyAfterItsSecondAbsence() throws Exception {
        Pod db = shop.gatherOn(3);
        String oldUid = db.getMetadata().getUid();
        assertThat(Shop.processesOf(oldUid)).as("db-0's processes on node3").isNotEmpty();
        fenceWatch.allow(3);
        Instant firstCut = Instant.now();
        nodes.cut(3);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> cordoned(3));
        Instant healed = Instant.now();
        nodes.heal(3);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(quorumStatus(3).getStatus().getQuorate())
                        .as("node3 quorate again")
                        .isTrue());
        assertThat(cordoned(3)).as("node3 still waits out healthyDelay").isTrue();
        Instant secondCut = Instant.now();
        nodes.cut(3);
        String watched = shop.pod("db-0").getMetadata().getUid();
        Instant outOfService = null;
        Instant newReady = null;
        boolean twice = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline && newReady == null) {
            boolean oldAlive = !Shop.processesOf(watched).isEmpty();
            Pod current = shop.pod("db-0");
            if (current != null && !watched.equals(current.getMetadata().getUid())) {
                twice |= oldAlive
                        && !Shop.processesOf(current.getMetadata().getUid()).isEmpty();
                if (Shop.ready(current) && !shop.on(current, 3)) {
                    newReady = Instant.now();
                }
            }
            if (outOfService == null && hasTaint(3, "node.kubernetes.io/out-of-service")) {
                outOfService = Instant.now();
            }
            Thread.sleep(200);
        }
        assertThat(twice).as("db-0 ran twice").isFalse();
        assertThat(newReady).as("db-0 Ready on a surviving node within 180 s").isNotNull();
        assertThat(outOfService).as("node3 marked out of service").isNotNull();
        assertThat(power.poweredOff(3)).as("node3 powered itself off").isPresent();
        assertThat(power.poweredOff(3).orElseThrow())
                .as("off after the second cut, before it was marked out of service")
                .isAfter(secondCut)
                .isBefore(outOfService);
        // The second absence: selfFenceAfter 5 s + the watchdog's 10 s + safetyMargin 5 s after it.
        assertThat(outOfService).isAfter(secondCut.plusSeconds(20));
        figures.add(String.format(
                "flap of node3: back after %.1f s, cut again %.1f s after the first cut; powered off +%.1f s and "
                        + "out-of-service +%.1f s after the second cut; db-0 Ready elsewhere +%.1f s%s",
                secs(firstCut, healed),
                secs(firstCut, secondCut),
                secs(secondCut, power.poweredOff(3).orElseThrow()),
                secs(secondCut, outOfService),
                secs(secondCut, newReady),
                watched.equals(oldUid) ? "" : " (db-0 had moved off node3 during the first absence)"));
        nodes.heal(3);
        power.powerOn(3);
        awaitClean(3);
        assertAllClean();
    }

    /**
     * 9. A policy change: node1's votes reach corosync; an unsafe expected-votes value is refused with
     * a reason, and corosync keeps what it had.
     */
    /**
     * 5. corosync crashes on a quorate node and is started again at once: it rejoins before the token
     * timeout ends, the others never lose it, and nothing is fenced.
     */
    @Test
    @Order(7)
    void corosyncRestartedWithinTheTokenTimeoutFencesNothing() {
        fenceWatch.allow();
        String ringBefore = nodes.quorumtool(1)
                .lines()
                .filter(l -> l.startsWith("Ring ID"))
                .findFirst()
                .orElse("");
        Instant killed = Instant.now();
        nodes.killCorosync(2);
        nodes.startCorosync(2);
        double restarted = since(killed);
        // Longer than evictAfter (3 s) and healthyDelay (5 s): anything the operator would do, it has done.
        sleep(Duration.ofSeconds(15));
        String ringAfter = nodes.quorumtool(1)
                .lines()
                .filter(l -> l.startsWith("Ring ID"))
                .findFirst()
                .orElse("");
        assertThat(nodes.quorumtool(1)).containsPattern("Nodes:\\s+4");
        assertThat(power.poweredOff(2)).isEmpty();
        figures.add(String.format(
                "corosync on node2 killed and started again in %.1f s: ring %s -> %s, nothing fenced",
                restarted, ringBefore.replaceAll("Ring ID:\\s+", ""), ringAfter.replaceAll("Ring ID:\\s+", "")));
        assertAllClean();
    }

    /**
     * 4. Flapping: node3's link down and up 20 times in 60 s. No eviction storm, and clean at the end.
     * Self-fencing is off here: with this test's 5 s selfFenceAfter and 1 s token, one run saw every
     * node's agent fence itself about 10 s into the flapping, which would end the scenario early.
     * Corosync itself may leave another node out meanwhile: in one run the other three formed a quorate
     * membership without node1, twice, for 8 and 16 s. Fencing such a node is right; fencing any node
     * no quorate membership left out within the last {@link #UNFENCE_WITHIN} is a violation.
     */
    @Test
    @Order(8)
    void aFlappingLinkCausesNoEvictionStorm() throws Exception {
        shop.gatherOn(3);
        selfFencing(false);
        fenceWatch.allow(3);
        Instant start = Instant.now();
        Map<String, Integer> podNode = new TreeMap<>();
        for (Pod p : client.pods().inNamespace(APP).list().getItems()) {
            IntStream.rangeClosed(1, NODES)
                    .filter(i -> shop.on(p, i))
                    .forEach(i -> podNode.put(p.getMetadata().getName(), i));
        }
        boolean cordonedOnce = false;
        for (int flap = 0; flap < 20; flap++) {
            nodes.cut(3);
            Thread.sleep(1500);
            nodes.heal(3);
            cordonedOnce |= cordoned(3);
            Thread.sleep(1500);
        }
        double flapped = since(start);
        Optional<Instant> off = power.poweredOff(3);
        power.powerOn(3);
        for (int i = 1; i <= NODES; i++) {
            awaitClean(i);
        }
        List<CorosyncLog.Membership> memberships = nodes.memberships(start);
        Set<Integer> leftOut = IntStream.rangeClosed(1, NODES)
                .boxed()
                .filter(i -> i != 3)
                .filter(i -> memberships.stream()
                        .anyMatch(m -> m.quorate() && !m.members().contains(i)))
                .collect(Collectors.toCollection(TreeSet::new));
        List<FenceWatch.Sighting> byCorosync =
                fenceWatch.excuse(s -> CorosyncLog.excluded(memberships, s.node(), s.at(), UNFENCE_WITHIN));
        List<RealNodes.Eviction> accepted = nodes.evictions(APP).stream()
                .filter(e -> e.accepted() && !e.at().isBefore(start))
                .toList();
        selfFencing(true);
        assertThat(podNode.values())
                .as("pods on node3 when the flapping began")
                .filteredOn(n -> n == 3)
                .hasSizeGreaterThanOrEqualTo(2);
        assertThat(accepted)
                .extracting(RealNodes.Eviction::pod)
                .doesNotHaveDuplicates()
                .allMatch(
                        pod -> podNode.get(pod) != null
                                && (podNode.get(pod) == 3 || leftOut.contains(podNode.get(pod))),
                        "a pod that was on node3 or on a node corosync left out");
        figures.add(String.format(
                "20 flaps of node3 in %.1f s: cordoned during them %s, %d evictions of the %d pods "
                        + "on node3 %s, powered off %s; clean %.1f s after the last flap; other nodes corosync left out of a "
                        + "quorate membership %s, seen fenced %d times",
                flapped,
                cordonedOnce,
                accepted.size(),
                podNode.values().stream().filter(n -> n == 3).count(),
                accepted.stream().map(RealNodes.Eviction::pod).toList(),
                off.map(at -> String.format("+%.1f s", secs(start, at))).orElse("no"),
                since(start) - flapped,
                leftOut,
                byCorosync.size()));
        assertAllClean();
    }

    /**
     * 7. The operator's leader killed mid-fence (SIGKILL of its JVM and its pod force-deleted, once node2
     * is cordoned): another replica takes the Lease and completes the ladder, and no pod is evicted twice.
     */
    @Test
    @Order(9)
    void theLeaderKilledMidFenceHandsOverAndNoPodIsEvictedTwice() {
        fenceWatch.allow(2);
        Instant cut = Instant.now();
        nodes.cut(2);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> cordoned(2));
        double cordoned = since(cut);
        String leader = leader();
        Pod leaderPod = client.pods().inNamespace(SYSTEM).withName(leader).get();
        List<Long> jvm = Shop.processesOf(leaderPod.getMetadata().getUid()).stream()
                .filter(pid -> cmdline(pid).contains("java"))
                .toList();
        assertThat(jvm).as("the leader's JVM").isNotEmpty();
        // The JVM killed and the pod gone at once, as when its node fails: it cannot come back as leader.
        jvm.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        ok(nodes.kubectl("-n", SYSTEM, "delete", "pod", leader, "--grace-period=0", "--force", "--wait=false"));
        double killed = since(cut);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> hasTaint(2, "node.kubernetes.io/out-of-service"));
        double outOfService = since(cut);
        String next = leader();
        assertThat(next).as("the new leader").isNotEqualTo(leader);
        assertThat(power.poweredOff(2)).isPresent();
        List<RealNodes.Eviction> accepted = nodes.evictions(APP).stream()
                .filter(e -> e.accepted() && !e.at().isBefore(cut))
                .toList();
        assertThat(accepted)
                .extracting(RealNodes.Eviction::pod)
                .as("pods evicted")
                .doesNotHaveDuplicates();
        figures.add(String.format(
                "leader %s killed mid-fence: node2 cordoned +%.1f s, leader killed +%.1f s, "
                        + "out-of-service +%.1f s under leader %s; %d evictions, none twice",
                leader, cordoned, killed, outOfService, next, accepted.size()));
        nodes.heal(2);
        power.powerOn(2);
        awaitClean(2);
        assertAllClean();
    }

    /** 8. The API server restarted during a cut: fencing completes once it is back. */
    @Test
    @Order(10)
    void fencingCompletesAfterTheApiServerRestartsDuringACut() {
        fenceWatch.allow(4);
        Instant cut = Instant.now();
        nodes.cut(4);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> cordoned(4));
        double cordoned = since(cut);
        Instant down = Instant.now();
        nodes.restartApiServer();
        double restart = since(down);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> hasTaint(4, "node.kubernetes.io/out-of-service"));
        double outOfService = since(cut);
        assertThat(power.poweredOff(4)).isPresent();
        List<RealNodes.Eviction> accepted = nodes.evictions(APP).stream()
                .filter(e -> e.accepted() && !e.at().isBefore(cut))
                .toList();
        assertThat(accepted).extracting(RealNodes.Eviction::pod).doesNotHaveDuplicates();
        figures.add(String.format(
                "API server restarted during the cut of node4: cordoned +%.1f s, restart took %.1f s, "
                        + "out-of-service +%.1f s",
                cordoned, restart, outOfService));
        nodes.heal(4);
        power.powerOn(4);
        awaitClean(4);
        assertAllClean();
    }

    @Test
    @Order(11)
    void votesFromThePolicyReachCorosyncAndAnUnsafeChangeIsRefused() {
        fenceWatch.allow();
        applyPolicy("SelfFence", "  votes:\n    - {nodeName: node1, votes: 2}\n");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    for (int i = 1; i <= NODES; i++) {
                        assertThat(nodes.quorumtool(i)).as("node%d", i).containsPattern("Total votes:\\s+5");
                    }
                    assertThat(nodes.exec(1, "corosync-quorumtool", "-l").output())
                            .containsPattern("1\\s+2 node1");
                });
        String before = votesOf(1);
        applyPolicy("SelfFence", "  votes:\n    - {nodeName: node1, votes: 2}\n  expectedVotes: 2\n");
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> "False".equals(condition("Valid")));
        String why = conditionField("Valid", "message");
        assertThat(why).contains("expectedVotes 2");
        sleep(Duration.ofSeconds(5));
        assertThat(votesOf(1)).as("corosync unchanged").isEqualTo(before);
        figures.add("unsafe expectedVotes refused: " + why);
        applyPolicy("SelfFence", "  votes:\n    - {nodeName: node1, votes: 1}\n");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    assertThat(condition("Valid")).isEqualTo("True");
                    assertThat(nodes.quorumtool(1)).containsPattern("Total votes:\\s+4");
                });
        assertAllClean();
    }

    // --- the policy and the application

    /** deploy/examples/policy-enforce.yaml for this cluster, with test timings and {@code extraSpec} lines. */
    private static void applyPolicy(String noQuorumAction, String extraSpec) {
        String policy = read(REPO.resolve("deploy/examples/policy-enforce.yaml"))
                .replace("name: mycluster", "name: " + CLUSTER)
                .replace("clusterName: mycluster", "clusterName: " + CLUSTER)
                .replace("evictAfter: 10s", "evictAfter: 3s")
                .replace("fenceTimeout: 60s", "fenceTimeout: 30s")
                .replace("healthyDelay: 30s", "healthyDelay: 5s")
                .replace("selfFenceAfter: 30s", "selfFenceAfter: 5s")
                .replace("safetyMargin: 10s", "safetyMargin: 5s")
                .replace("noQuorumAction: SelfFence", "noQuorumAction: " + noQuorumAction)
                .replace("spec:\n", "spec:\n" + extraSpec);
        ok(nodes.kubectl(
                "apply",
                "--server-side",
                "--force-conflicts",
                "-f",
                write(policy).toString()));
    }

    /** The policy's noQuorumAction SelfFence or None, and every node's watchdog fed or closed accordingly. */
    private static void selfFencing(boolean on) {
        applyPolicy(on ? "SelfFence" : "None", "");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    assertThat(condition("Quorate")).isEqualTo("True");
                    for (int i = 1; i <= NODES; i++) {
                        assertThat(power.armed(i))
                                .as("node%d's watchdog fed", i)
                                .isEqualTo(on);
                    }
                });
    }

    private static String condition(String type) {
        return conditionField(type, "status");
    }

    private static String conditionField(String type, String field) {
        return nodes.kubectl(
                        "get",
                        "vqp",
                        CLUSTER,
                        "-o",
                        "jsonpath={.status.conditions[?(@.type==\"" + type + "\")]." + field + "}")
                .output()
                .trim();
    }

    private static QuorumStatus quorumStatus(int node) {
        return client.resources(QuorumStatus.class)
                .withName(nodes.nodeName(node))
                .get();
    }

    /** corosync's votes as node I sees them: the Votequorum information of `corosync-quorumtool -s`. */
    private static String votesOf(int node) {
        return nodes.quorumtool(node)
                .lines()
                .filter(l -> l.matches("(Expected votes|Total votes|Quorum):.*"))
                .reduce("", (a, b) -> a + b.replaceAll("\\s+", " ") + "; ");
    }

    /** The operator pod holding the leader Lease. */
    private static String leader() {
        return client.leases()
                .inNamespace(SYSTEM)
                .withName("votequorum-operator")
                .get()
                .getSpec()
                .getHolderIdentity();
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    private static Pod agentOn(int node) {
        return client
                .pods()
                .inNamespace(SYSTEM)
                .withLabel("app.kubernetes.io/component", "agent")
                .list()
                .getItems()
                .stream()
                .filter(p -> shop.on(p, node) && p.getMetadata().getDeletionTimestamp() == null)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no agent pod on node" + node));
    }

    // --- fencing, as the Nodes show it

    /** What of the operator's fencing node I carries: its record, its cordon, its taints. */
    private static List<String> fenced(int node) {
        Node n = nodes.node(node);
        List<String> found = new ArrayList<>();
        if (n.getMetadata().getAnnotations() != null
                && n.getMetadata().getAnnotations().containsKey(FENCING_RECORD)) {
            found.add("record");
        }
        if (Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
            found.add("cordon");
        }
        taints(node).stream()
                .filter(t -> OUR_TAINTS.contains(t.getKey()))
                .forEach(t -> found.add(t.getKey() + ":" + t.getEffect()));
        return found;
    }

    private static boolean cordoned(int node) {
        return Boolean.TRUE.equals(nodes.node(node).getSpec().getUnschedulable());
    }

    private static List<Taint> taints(int node) {
        return Optional.ofNullable(nodes.node(node).getSpec().getTaints()).orElse(List.of());
    }

    private static boolean hasTaint(int node, String key) {
        return taints(node).stream().anyMatch(t -> key.equals(t.getKey()));
    }

    private static boolean hasTaint(int node, String key, String effect) {
        return taints(node).stream().anyMatch(t -> key.equals(t.getKey()) && effect.equals(t.getEffect()));
    }

    /** Node I back: Ready, quorate in corosync and in its QuorumStatus, and nothing of the fencing left. */
    private static void awaitClean(int node) {
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    assertThat(nodes.ready(node)).as("node%d Ready", node).isTrue();
                    assertThat(quorumStatus(node).getStatus().getQuorate())
                            .as("node%d quorate", node)
                            .isTrue();
                    assertThat(fenced(node)).as("node%d's fencing", node).isEmpty();
                });
    }

    /** Every node clean and quorate, the policy Quorate, and the watcher saw nothing fenced that was not allowed. */
    private static void assertAllClean() {
        for (int i = 1; i <= NODES; i++) {
            awaitClean(i);
        }
        ok(nodes.kubectl("-n", SYSTEM, "rollout", "status", "deployment/votequorum-operator", "--timeout=120s"));
        assertThat(fenceWatch.violations())
                .as("nodes fenced that the scenario did not allow")
                .isEmpty();
        assertThat(power.log()).as("nodes powered off").allMatch(l -> !l.contains("could not"));
    }

    /**
     * Samples every Node twice a second and records any fencing of a node the current scenario does not
     * allow: the operator's record or taints (its cordon always comes with its record). Each scenario's
     * {@link #allow} starts a new record.
     */
    private static final class FenceWatch implements AutoCloseable {
        /** Node {@code node} seen fenced at {@code at}: what of the fencing it carried. */
        record Sighting(Instant at, int node, List<String> fencing) {
            @Override
            public String toString() {
                return at + " node" + node + ": " + fencing;
            }
        }

        private volatile Set<Integer> allowed = Set.of();
        private final List<Sighting> violations = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;
        private volatile boolean running = true;

        FenceWatch() {
            thread = new Thread(
                    () -> {
                        while (running) {
                            Set<Integer> now = allowed;
                            for (int i = 1; i <= NODES; i++) {
                                if (now.contains(i)) {
                                    continue;
                                }
                                try {
                                    // The record and the taints: the cordon alone may be the test's own.
                                    List<String> f = fenced(i).stream()
                                            .filter(x -> !x.equals("cordon"))
                                            .toList();
                                    if (!f.isEmpty() && allowed == now) {
                                        violations.add(new Sighting(Instant.now(), i, f));
                                    }
                                } catch (RuntimeException e) {
                                    // the API server did not answer this time
                                }
                            }
                            try {
                                Thread.sleep(500);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "fence-watch");
            thread.setDaemon(true);
            thread.start();
        }

        /** From now on only NODES may be fenced; what was seen before is forgotten. */
        void allow(Integer... nodes) {
            allowed = Set.of(nodes);
            violations.clear();
        }

        List<String> violations() {
            synchronized (violations) {
                return violations.stream().map(Sighting::toString).toList();
            }
        }

        /** Takes the sightings that {@code justified} accepts out of the violations, and returns them. */
        List<Sighting> excuse(Predicate<Sighting> justified) {
            synchronized (violations) {
                List<Sighting> excused = violations.stream().filter(justified).toList();
                violations.removeAll(excused);
                return excused;
            }
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }

    // --- small things

    private static Path write(String yaml) {
        try {
            Path file = Files.createTempFile(RealNodes.STATE, "e2e", ".yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void ok(RealNodes.Result result) {
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    private static double since(Instant at) {
        return secs(at, Instant.now());
    }

    private static double secs(Instant from, Instant to) {
        return to == null ? -1 : Duration.between(from, to).toMillis() / 1000.0;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
