package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.model.Conditions;
import io.votequorum.model.FenceStage;
import io.votequorum.model.FencingMode;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.NodeVotes;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.model.WatchdogState;
import io.votequorum.testenv.AgentProcess;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.KubeApiServer;
import io.votequorum.testenv.OperatorProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Safety rules 1 and 5, and the quorum risk the policy shows, with every part real: corosync nodes in network namespaces, one agent process
 * per node inside its namespace, the operator as a process, a real API server. A cut takes a node off
 * the bridge, so its agent loses the API server as well as corosync.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SafetyIT {

    private static final String NAMESPACE = "votequorum-system";
    private static final String APPS = "apps";
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final Path LOGS = Path.of("target", "safety-it");
    private static final String OUT_OF_SERVICE = "node.kubernetes.io/out-of-service:NoExecute";
    /**
     * The test node's power-off: kills every process in the node's network namespace, the agent
     * included, as a reset would.
     */
    static final String POWER_OFF = """
            #!/bin/sh
            me=$(stat -L -c %i /proc/self/ns/net)
            for p in /proc/[0-9]*; do
                n=${p#/proc/}
                [ "$n" != "$$" ] && [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$me" ] && kill -9 "$n"
            done
            kill -9 $$
            """;

    private static KubeApiServer api;
    private static KubernetesClient client;
    private static OperatorProcess operator;
    private static Path kubeconfig;
    private CorosyncCluster cluster;
    private final List<AgentProcess> agents = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        api = KubeApiServer.start().withCrds();
        client = api.client();
        for (String ns : List.of(NAMESPACE, APPS)) {
            client.resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .create();
        }
        kubeconfig = AgentProcess.kubeconfigForNodes(api, LOGS);
        Files.writeString(LOGS.resolve("kubeconfig.yaml"), api.kubeconfig());
        operator = OperatorProcess.start(LOGS.resolve("kubeconfig.yaml"), NAMESPACE, LOGS, List.of());
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @AfterEach
    void removeCluster() {
        agents.forEach(AgentProcess::close);
        agents.clear();
        if (cluster != null) {
            cluster.close();
        }
        client.resources(VoteQuorumPolicy.class).delete();
    }

    /** Nodes node1..nodeN, a corosync cluster of that many, one agent on each, and an Enforce policy. */
    private void startCluster(
            String name,
            CorosyncCluster.Builder builder,
            int size,
            Consumer<VoteQuorumPolicy> customize,
            String... agentOptions)
            throws IOException {
        for (int i = 1; i <= size; i++) {
            if (client.nodes().withName("node" + i).get() == null) {
                client.resource(new NodeBuilder()
                                .withNewMetadata()
                                .withName("node" + i)
                                .endMetadata()
                                .build())
                        .create();
            }
        }
        cluster = builder.nodes(size).clusterName(name).start();
        for (int i = 1; i <= size; i++) {
            agents.add(AgentProcess.start(cluster, i, kubeconfig, NAMESPACE, LOGS.resolve(name), agentOptions));
        }
        VoteQuorumPolicy policy = new VoteQuorumPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
        policy.getSpec().setClusterName(name);
        policy.getSpec().getFencing().setMode(FencingMode.Enforce);
        policy.getSpec().getFencing().setEvictAfter("1s");
        policy.getSpec().getFencing().setFenceTimeout("3s");
        policy.getSpec().getFencing().setHealthyDelay("1s");
        customize.accept(policy);
        client.resource(policy).create();
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(condition(name, "Quorate").getReason()).isEqualTo("SettledQuorateView");
            assertThat(policy(name).getStatus().getPartition().memberCount()).isEqualTo(size);
            // Every agent has reported: a node cut before its first report belongs to no policy yet.
            for (int i = 1; i <= size; i++) {
                QuorumStatus reported = client.resources(QuorumStatus.class)
                        .withName("node" + i)
                        .get();
                assertThat(reported.getStatus().getClusterName()).isEqualTo(name);
                assertThat(reported.getStatus().getQuorate()).isTrue();
            }
        });
    }

    @Test
    @Order(1)
    void aTwoNodeSplitFencesNothingWhicheverSideIsCutOffFromTheApiServer() throws IOException {
        startCluster("pair", CorosyncCluster.builder().twoNode(), 2, p -> {});
        for (int cut : new int[] {2, 1}) {
            int seen = 3 - cut;
            cluster.cut(cut);
            await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
                assertThat(client.resources(QuorumStatus.class)
                                .withName("node" + seen)
                                .get()
                                .getStatus()
                                .getMemberCount())
                        .as("node%d alone, and still quorate (two_node)", seen)
                        .isEqualTo(1);
                assertThat(client.resources(QuorumStatus.class)
                                .withName("node" + seen)
                                .get()
                                .getStatus()
                                .getQuorate())
                        .isTrue();
                assertThat(condition("pair", "Quorate").getReason()).isEqualTo("QuorateNotExclusive");
                assertThat(condition("pair", "Fencing").getStatus()).isEqualTo("False");
                assertThat(condition("pair", "Fencing").getMessage())
                        .contains(
                                "two_node", "nothing is fenced", "a two_node cluster fences only with a quorum device");
            });
            // Past the cut node's Lease (10 s): its report goes stale, and still nothing is fenced.
            await().during(Duration.ofSeconds(15)).atMost(STEP).untilAsserted(() -> {
                assertThat(taints("node" + cut)).isEmpty();
                assertThat(client.nodes().withName("node" + cut).get().getSpec().getUnschedulable())
                        .isNotEqualTo(Boolean.TRUE);
                assertThat(policy("pair").getStatus().getFencedNodes()).isEmpty();
            });
            assertThat(quorumCondition("node" + cut)).isEqualTo("Unknown QuoratePartitionNotExclusive");
            cluster.heal(cut);
            await().atMost(STEP)
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(
                                    policy("pair").getStatus().getPartition().memberCount())
                            .isEqualTo(2));
        }
        assertThat(events("pair")).anyMatch(e -> e.startsWith("NotFencing ") && e.contains("two_node"));
    }

    @Test
    @Order(2)
    void withoutSelfFencingACutNodeIsEvictedAndWaitsForConfirmationBeforeAnythingIsForced() throws IOException {
        startCluster("trio", CorosyncCluster.builder(), 3, p -> {});
        Pod db = statefulSetPod("db", "node3");

        cluster.cut(3);
        await().atMost(STEP).untilAsserted(() -> {
            assertThat(client.nodes().withName("node3").get().getSpec().getUnschedulable())
                    .isTrue();
            assertThat(taints("node3")).contains("votequorum.io/inquorate:NoSchedule");
            assertThat(policy("trio").getStatus().getFencedNodes())
                    .singleElement()
                    .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Evicted));
        });
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(condition("trio", "Fencing").getReason()).isEqualTo("AwaitingConfirmation");
            assertThat(condition("trio", "Fencing").getMessage())
                    .contains(
                            "node3 is outside the quorate partition",
                            "it has no watchdog-backed self-fencing",
                            "kubectl annotate node node3 votequorum.io/confirmed-off=");
        });
        // Long past fenceTimeout (3 s) and the node's Lease (10 s): no step 3 without proof that it is off.
        await().during(Duration.ofSeconds(15)).atMost(STEP).untilAsserted(() -> {
            assertThat(taints("node3")).doesNotContain(OUT_OF_SERVICE);
            Pod still = client.pods()
                    .inNamespace(APPS)
                    .withName(db.getMetadata().getName())
                    .get();
            assertThat(still).as("db-0 is not forced off node3").isNotNull();
            assertThat(still.getSpec().getNodeName()).isEqualTo("node3");
        });
        assertThat(policy("trio").getStatus().getFencedNodes())
                .singleElement()
                .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Evicted));
        assertThat(events("trio")).anyMatch(e -> e.startsWith("AwaitingConfirmation node3"));

        Instant confirmed = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        client.nodes()
                .withName("node3")
                .edit(n -> new NodeBuilder(n)
                        .editMetadata()
                        .addToAnnotations("votequorum.io/confirmed-off", confirmed.toString())
                        .endMetadata()
                        .build());
        await().atMost(STEP).untilAsserted(() -> {
            assertThat(taints("node3")).contains(OUT_OF_SERVICE);
            assertThat(policy("trio").getStatus().getFencedNodes())
                    .singleElement()
                    .satisfies(f -> assertThat(f.evidence()).contains("confirmed off at " + confirmed));
        });

        cluster.heal(3);
        await().atMost(STEP).untilAsserted(() -> {
            assertThat(taints("node3")).isEmpty();
            assertThat(policy("trio").getStatus().getFencedNodes()).isEmpty();
        });
    }

    @Test
    @Order(3)
    void aSelfFencingNodeIsForcedOnlyAfterItsSafeTimeAndNeverWhileItsWatchdogIsFed() throws Exception {
        Path watchdogs = LOGS.resolve("watchdogs").toAbsolutePath();
        Files.createDirectories(watchdogs);
        Path watchdog3 = watchdogs.resolve("node3");
        Files.deleteIfExists(watchdog3);
        Files.createFile(watchdog3);
        // Each agent gets a stand-in watchdog: a file that grows by one byte per feed.
        startClusterWithWatchdogs(watchdogs);
        statefulSetPod("cache", "node3");
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            var reported = client.resources(QuorumStatus.class)
                    .withName("node3")
                    .get()
                    .getStatus()
                    .getWatchdog();
            assertThat(reported.state()).isEqualTo(WatchdogState.Armed);
            assertThat(reported.timeoutSeconds()).isEqualTo(2);
            assertThat(reported.selfFenceAfter()).isEqualTo("3s");
        });
        FeedWatch feeding = FeedWatch.start(watchdog3);
        try {
            await().atMost(STEP).until(() -> feeding.lastFeed() != null);

            Instant cutAt = Instant.now();
            cluster.cut(3);
            AtomicReference<Instant> forcedSeen = new AtomicReference<>();
            await().atMost(STEP).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (taints("node3").contains(OUT_OF_SERVICE)) {
                    forcedSeen.set(Instant.now());
                    return true;
                }
                return false;
            });
            Instant since = Instant.parse(
                    policy("solo").getStatus().getFencedNodes().get(0).since());
            Instant lastFeed = feeding.lastFeed();
            // Safe time: exclusion first seen + 3 s (selfFenceAfter) + 2 s (watchdog timeout) + 2 s (margin).
            assertThat(forcedSeen.get()).as("step 3 only after the safe time").isAfterOrEqualTo(since.plusSeconds(7));
            assertThat(lastFeed)
                    .as("the watchdog was no longer fed when step 3 came, and had run out")
                    .isBefore(forcedSeen.get().minusSeconds(2));
            // The guarantee the safe time rests on: feeding stops by exclusion + selfFenceAfter + margin.
            assertThat(lastFeed)
                    .as("feeding stopped within selfFenceAfter and the margin of the exclusion")
                    .isBefore(since.plusSeconds(3 + 2));
            assertThat(feeding.feedsAfter(forcedSeen.get()))
                    .as("no feed after step 3")
                    .isZero();
            // The taint comes first; the policy's status is written at the end of the same reconcile.
            await().atMost(STEP)
                    .untilAsserted(() -> assertThat(policy("solo").getStatus().getFencedNodes())
                            .singleElement()
                            .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Fenced))
                            .satisfies(f -> assertThat(f.evidence()).contains("self-fenced", watchdog3.toString())));
            await("node3 powered itself off, its agent with it")
                    .atMost(STEP)
                    .until(() -> !agents.get(2).alive());
            assertThat(agents.get(2).log())
                    .contains("fencing this node (command " + watchdogs.resolve("power-off.sh"))
                    .doesNotContain("sysrq");
            System.out.printf(
                    "safety-it: cut %s, exclusion seen %s, last feed %s (+%d ms after the cut), "
                            + "out-of-service seen %s (+%d ms after the cut)%n",
                    cutAt,
                    since,
                    lastFeed,
                    Duration.between(cutAt, lastFeed).toMillis(),
                    forcedSeen.get(),
                    Duration.between(cutAt, forcedSeen.get()).toMillis());
        } finally {
            feeding.close();
        }
        assertThat(taints("node1")).isEmpty();
        assertThat(taints("node2")).isEmpty();
    }

    @Test
    @Order(4)
    void threeOneVoteNodesLoseAnyOneAndOnceOneIsCutEachOfTheOthersIsCritical() throws IOException {
        startCluster("risk-trio", CorosyncCluster.builder(), 3, p -> {});
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(policy("risk-trio").getStatus().getPartition().votesToSpare())
                    .isEqualTo(1);
            assertThat(policy("risk-trio").getStatus().getPartition().criticalNodes())
                    .isEmpty();
            assertThat(condition("risk-trio", "QuorumAtRisk").getStatus()).isEqualTo("False");
            assertThat(condition("risk-trio", "QuorumAtRisk").getMessage())
                    .isEqualTo("the quorate partition has 3 votes on 3 nodes, quorum 2, 1 to spare: any 1 node can go");
        });
        assertThat(policy("risk-trio").getStatus().getPartition().members())
                .as("members by their Kubernetes names")
                .containsExactly("node1", "node2", "node3");

        cluster.cut(3);
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(policy("risk-trio").getStatus().getPartition().members()).containsExactly("node1", "node2");
            assertThat(policy("risk-trio").getStatus().getPartition().criticalNodes())
                    .containsExactly("node1", "node2");
            assertThat(policy("risk-trio").getStatus().getPartition().votesToSpare())
                    .isZero();
            assertThat(condition("risk-trio", "QuorumAtRisk").getStatus()).isEqualTo("True");
            assertThat(condition("risk-trio", "QuorumAtRisk").getReason()).isEqualTo("SingleLossBreaksQuorum");
        });
        assertThat(events("risk-trio"))
                .contains("QuorumAtRisk the quorate partition has 2 votes on 2 nodes, quorum 2, 0 to spare: losing any"
                        + " one of node1 (1), node2 (1) alone breaks quorum");

        cluster.heal(3);
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(policy("risk-trio").getStatus().getPartition().criticalNodes())
                    .isEmpty();
            assertThat(condition("risk-trio", "QuorumAtRisk").getStatus()).isEqualTo("False");
        });
    }

    @Test
    @Order(5)
    void withVotesTwoOneOneOneAndANodeCutTheStatusNamesExactlyTheNodeWhoseLossBreaksQuorum() throws IOException {
        startCluster(
                "risk-four",
                CorosyncCluster.builder(),
                4,
                p -> p.getSpec().setVotes(List.of(new NodeVotes("node1", null, 2))));
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(condition("risk-four", "Applied").getStatus()).isEqualTo("True");
            assertThat(condition("risk-four", "Applied").getMessage())
                    .isEqualTo("every agent applied the votes of generation 1; the layout: 5 votes on 4 nodes,"
                            + " quorum 3, 2 to spare: any 1 node can go");
            assertThat(cluster.quorumtool(1)).containsPattern("Total votes:\\s+5");
            assertThat(policy("risk-four").getStatus().getPartition().votesToSpare())
                    .isEqualTo(2);
            assertThat(policy("risk-four").getStatus().getPartition().criticalNodes())
                    .isEmpty();
        });

        cluster.cut(4);
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(policy("risk-four").getStatus().getPartition().members())
                    .containsExactly("node1", "node2", "node3");
            assertThat(policy("risk-four").getStatus().getPartition().votesToSpare())
                    .isEqualTo(1);
            assertThat(policy("risk-four").getStatus().getPartition().criticalNodes())
                    .as("only node1's two votes are more than the one to spare")
                    .containsExactly("node1");
            assertThat(condition("risk-four", "QuorumAtRisk").getMessage())
                    .isEqualTo("the quorate partition has 4 votes on 3 nodes, quorum 3, 1 to spare: losing node1 (2)"
                            + " alone breaks quorum");
        });
        cluster.heal(4);
        await().atMost(STEP)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                policy("risk-four").getStatus().getPartition().memberCount())
                        .isEqualTo(4));
    }

    private void startClusterWithWatchdogs(Path watchdogs) throws IOException {
        Path powerOff = watchdogs.resolve("power-off.sh");
        Files.writeString(powerOff, POWER_OFF);
        powerOff.toFile().setExecutable(true);
        for (int i = 1; i <= 3; i++) {
            if (client.nodes().withName("node" + i).get() == null) {
                client.resource(new NodeBuilder()
                                .withNewMetadata()
                                .withName("node" + i)
                                .endMetadata()
                                .build())
                        .create();
            }
        }
        cluster = CorosyncCluster.builder().nodes(3).clusterName("solo").start();
        for (int i = 1; i <= 3; i++) {
            agents.add(AgentProcess.start(
                    cluster,
                    i,
                    kubeconfig,
                    NAMESPACE,
                    LOGS.resolve("solo"),
                    AgentProcess.WATCHDOG_OPTION + watchdogs.resolve("node" + i),
                    "-Dvotequorum.agent.watchdog-timeout=2s",
                    AgentProcess.SELF_FENCE_OPTION + powerOff));
        }
        VoteQuorumPolicy policy = new VoteQuorumPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("solo").build());
        policy.getSpec().setClusterName("solo");
        policy.getSpec().getFencing().setMode(FencingMode.Enforce);
        policy.getSpec().getFencing().setEvictAfter("1s");
        policy.getSpec().getFencing().setFenceTimeout("3s");
        policy.getSpec().getFencing().setNoQuorumAction(NoQuorumAction.SelfFence);
        policy.getSpec().getFencing().setSelfFenceAfter("3s");
        policy.getSpec().getFencing().setSafetyMargin("2s");
        client.resource(policy).create();
        await().atMost(STEP)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                policy("solo").getStatus().getPartition().memberCount())
                        .isEqualTo(3));
    }

    /** A pod of a StatefulSet on the given node: the kind of pod that must never run twice. */
    private static Pod statefulSetPod(String name, String node) {
        StatefulSet sts = client.resource(new StatefulSetBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace(APPS)
                        .endMetadata()
                        .withNewSpec()
                        .withServiceName(name)
                        .withNewSelector()
                        .addToMatchLabels("app", name)
                        .endSelector()
                        .withNewTemplate()
                        .withNewMetadata()
                        .addToLabels("app", name)
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("c")
                        .withImage(name)
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        return client.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(name + "-0")
                        .withNamespace(APPS)
                        .addToLabels("app", name)
                        .addNewOwnerReference()
                        .withApiVersion("apps/v1")
                        .withKind("StatefulSet")
                        .withName(name)
                        .withUid(sts.getMetadata().getUid())
                        .withController(true)
                        .endOwnerReference()
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName(node)
                        .addNewContainer()
                        .withName("c")
                        .withImage(name)
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
    }

    /** Watches a stand-in watchdog file: when it last grew, and how often it grew after a time. */
    private static final class FeedWatch implements AutoCloseable {
        private final Path file;
        private final Thread thread;
        private final AtomicLong size = new AtomicLong(-1);
        private final AtomicReference<Instant> last = new AtomicReference<>();
        private final List<Instant> feeds = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean running = true;

        private FeedWatch(Path file) {
            this.file = file;
            this.thread = new Thread(this::watch, "feed-watch");
        }

        static FeedWatch start(Path file) {
            FeedWatch watch = new FeedWatch(file);
            watch.thread.setDaemon(true);
            watch.thread.start();
            return watch;
        }

        private void watch() {
            Instant until = Instant.now().plus(Duration.ofMinutes(5)); // bounded, whatever the test does
            while (running && Instant.now().isBefore(until)) {
                try {
                    long now = Files.size(file);
                    if (now != size.getAndSet(now) && size.get() >= 0) {
                        Instant at = Instant.now();
                        last.set(at);
                        feeds.add(at);
                    }
                    Thread.sleep(20);
                } catch (IOException e) {
                    // the file is written as we read; the next round sees it
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        Instant lastFeed() {
            return last.get();
        }

        long feedsAfter(Instant when) {
            synchronized (feeds) {
                return feeds.stream().filter(f -> f.isAfter(when)).count();
            }
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }

    private static VoteQuorumPolicy policy(String name) {
        return client.resources(VoteQuorumPolicy.class).withName(name).get();
    }

    private static Condition condition(String policy, String type) {
        return Conditions.find(policy(policy).getStatus().getConditions(), type).orElseThrow();
    }

    private static List<String> taints(String name) {
        Node node = client.nodes().withName(name).get();
        // Nodes without a kubelet carry the API server's not-ready taint; only the operator's matter here.
        return Optional.ofNullable(node.getSpec().getTaints()).orElse(List.of()).stream()
                .map(Taints::id)
                .filter(id -> !id.startsWith("node.kubernetes.io/not-ready"))
                .toList();
    }

    private static String quorumCondition(String name) {
        return Optional.ofNullable(client.nodes().withName(name).get().getStatus())
                .map(s -> s.getConditions())
                .orElse(List.of())
                .stream()
                .filter(c -> "CorosyncQuorum".equals(c.getType()))
                .map(c -> c.getStatus() + " " + c.getReason())
                .findFirst()
                .orElse("missing");
    }

    private static List<String> events(String policy) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> policy.equals(e.getInvolvedObject().getName()))
                .map(e -> e.getReason() + " " + e.getMessage())
                .toList();
    }
}
