package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.votequorum.model.Conditions;
import io.votequorum.model.FenceStage;
import io.votequorum.model.FencedNode;
import io.votequorum.model.FencingHistory;
import io.votequorum.model.FencingMode;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumPolicy;
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
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Pacemaker's fencing as proof that a node is off, with every part real: corosync and Debian's
 * Pacemaker on three nodes in network namespaces, a fence device that only records (hack/fence_record),
 * one agent per node reading Pacemaker's history through libstonithd, the operator, a real API server.
 * A fence Pacemaker completes after the node left the quorate partition lets the ladder force; one
 * completed before it left does not.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PacemakerFencingIT {

    private static final String NAMESPACE = "votequorum-system";
    private static final Duration STEP = Duration.ofSeconds(90);
    private static final Path LOGS = Path.of("target", "pacemaker-fencing-it");
    private static final String OUT_OF_SERVICE = "node.kubernetes.io/out-of-service:NoExecute";
    private static final Pattern COMPLETED = Pattern.compile(
            "<fence_event[^>]*action=\"(\\w+)\"[^>]*target=\"node3\"[^>]*status=\"success\"[^>]*completed=\"([^\"]+)\"");

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
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
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
        // The next cluster's agents start from nothing: no report or Node of this one is left.
        client.resources(QuorumStatus.class).delete();
        client.leases().inNamespace(NAMESPACE).delete();
        client.nodes().delete();
        await().atMost(STEP)
                .until(() -> client.nodes().list().getItems().isEmpty()
                        && client.resources(QuorumStatus.class)
                                .list()
                                .getItems()
                                .isEmpty());
    }

    /** Three Nodes, corosync and Pacemaker on three nodes, an agent on each, and an Enforce policy. */
    private void startCluster(String name) throws IOException {
        for (int i = 1; i <= 3; i++) {
            client.resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName("node" + i)
                            .endMetadata()
                            .build())
                    .create();
        }
        cluster = CorosyncCluster.builder().nodes(3).clusterName(name).start();
        CorosyncCluster.Result up = cluster.pacemaker("up");
        assertThat(up.exitCode()).as("pacemaker.sh up:\n" + up.output()).isZero();
        for (int i = 1; i <= 3; i++) {
            agents.add(AgentProcess.start(cluster, i, kubeconfig, NAMESPACE, LOGS.resolve(name)));
        }
        VoteQuorumPolicy policy = new VoteQuorumPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
        policy.getSpec().setClusterName(name);
        policy.getSpec().getFencing().setMode(FencingMode.Enforce);
        policy.getSpec().getFencing().setEvictAfter("1s");
        policy.getSpec().getFencing().setFenceTimeout("3s");
        policy.getSpec().getFencing().setHealthyDelay("1s");
        client.resource(policy).create();
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(condition(name, "Quorate").getReason()).isEqualTo("SettledQuorateView");
            assertThat(policy(name).getStatus().getPartition().memberCount()).isEqualTo(3);
            // Every agent has reported: a node cut before its first report belongs to no policy yet.
            for (int i = 1; i <= 3; i++) {
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
    void aNodePacemakerFencedAfterItLeftTheQuoratePartitionCountsAsOff() throws IOException {
        startCluster("pcmk-after");
        Instant cut = Instant.now();
        cluster.cut(3);

        explained(
                "pcmk-after",
                () -> await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
                    assertThat(taints("node3")).contains(OUT_OF_SERVICE);
                    FencedNode fenced =
                            policy("pcmk-after").getStatus().getFencedNodes().get(0);
                    assertThat(fenced.stage()).isEqualTo(FenceStage.Fenced);
                    assertThat(fenced.evidence())
                            .contains("fenced after it left the quorate partition", "by Pacemaker", "reboot");
                }));
        Instant forced = Instant.now();
        FencingHistory reported = history("node1");
        assertThat(reported.fenced())
                .as("node1's agent reports the reboot Pacemaker's DC ordered once node3 was lost")
                .anySatisfy(f -> {
                    assertThat(f.node()).isEqualTo("node3");
                    assertThat(f.nodeId()).isEqualTo(3L);
                    assertThat(f.action()).isEqualTo("reboot");
                });
        assertThat(cluster.pacemaker("records").output()).contains("reboot node3");
        Instant completed = lastFence(1);
        System.out.printf(
                "Pacemaker fenced node3 %d ms after the cut; the out-of-service taint was seen %d ms after the cut%n",
                Duration.between(cut, completed).toMillis(),
                Duration.between(cut, forced).toMillis());
    }

    @Test
    @Order(2)
    void aFenceCompletedBeforeTheNodeLeftDoesNotCount() throws IOException {
        startCluster("pcmk-before");
        // A fence of node3 while it is a member: the device records it, node3 stays up (as if it came back).
        assertThat(pacemaker(1, "stonith_admin", "--reboot", "node3", "--timeout", "30")
                        .exitCode())
                .isZero();
        Instant requested = lastFence(1);
        // Fenced, node3's Pacemaker stops (fence-reaction=stop) and its corosync goes with it, as a
        // rebooted node's would; it comes back, and is a member again before it leaves.
        await().atMost(STEP).pollInterval(Duration.ofSeconds(1)).until(() -> {
            if (cluster.exec(3, "corosync-quorumtool", "-s").exitCode() != 1) {
                return true;
            }
            try {
                cluster.startCorosync(3);
            } catch (IllegalStateException stillStopping) {
                // corosync on node3 is still on its way out; start it once it is gone
            }
            return false;
        });
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(policy("pcmk-before").getStatus().getPartition().memberCount())
                    .isEqualTo(3);
            assertThat(policy("pcmk-before").getStatus().getFencedNodes()).isEmpty();
            assertThat(taints("node3")).isEmpty();
        });
        // Pacemaker may have fenced node3 again when its corosync went: the last fence before it leaves.
        Instant before = lastFence(1);
        assertThat(before).isAfterOrEqualTo(requested);
        // The device can no longer fence node3, so Pacemaker's own fencing after the cut fails.
        assertThat(pacemaker(
                                1,
                                "crm_resource",
                                "--resource",
                                "fence-record",
                                "--set-parameter",
                                "pcmk_host_list",
                                "--parameter-value",
                                "node1 node2")
                        .exitCode())
                .isZero();

        cluster.cut(3);
        explained(
                "pcmk-before",
                () -> await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
                    assertThat(condition("pcmk-before", "Fencing").getReason()).isEqualTo("AwaitingConfirmation");
                    assertThat(condition("pcmk-before", "Fencing").getMessage())
                            .contains(
                                    "by Pacemaker",
                                    "is older than its absence or was followed by a sign of life, and does not count");
                    assertThat(history("node1").fenced())
                            .anySatisfy(
                                    f -> assertThat(Instant.parse(f.completed()).truncatedTo(ChronoUnit.SECONDS))
                                            .isEqualTo(before.truncatedTo(ChronoUnit.SECONDS)));
                }));
        // Long past fenceTimeout and node3's Lease: the old fence never forces anything.
        await().during(Duration.ofSeconds(15)).atMost(STEP).untilAsserted(() -> {
            assertThat(taints("node3")).doesNotContain(OUT_OF_SERVICE);
            assertThat(policy("pcmk-before").getStatus().getFencedNodes())
                    .singleElement()
                    .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Evicted));
        });

        // The device may fence node3 again, and Pacemaker fences it now, after it left: that counts.
        assertThat(pacemaker(
                                1,
                                "crm_resource",
                                "--resource",
                                "fence-record",
                                "--set-parameter",
                                "pcmk_host_list",
                                "--parameter-value",
                                "node1 node2 node3")
                        .exitCode())
                .isZero();
        assertThat(pacemaker(1, "stonith_admin", "--reboot", "node3", "--timeout", "30")
                        .exitCode())
                .isZero();
        explained(
                "pcmk-before",
                () -> await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
                    assertThat(taints("node3")).contains(OUT_OF_SERVICE);
                    assertThat(policy("pcmk-before")
                                    .getStatus()
                                    .getFencedNodes()
                                    .get(0)
                                    .evidence())
                            .contains("fenced after it left the quorate partition", "by Pacemaker");
                }));
        assertThat(lastFence(1)).isAfter(before);
    }

    /** Runs {@code step}; when it fails, prints what the policy, the agents and Pacemaker said. */
    private void explained(String policy, Runnable step) {
        try {
            step.run();
        } catch (AssertionError | RuntimeException e) {
            System.out.println("policy " + policy + " status: "
                    + Serialization.asJson(client.resources(VoteQuorumPolicy.class)
                            .withName(policy)
                            .get()
                            .getStatus()));
            for (String node : List.of("node1", "node2")) {
                QuorumStatus qs =
                        client.resources(QuorumStatus.class).withName(node).get();
                System.out.println(node + " fencingHistory: "
                        + (qs == null || qs.getStatus() == null
                                ? "-"
                                : qs.getStatus().getFencingHistory()));
            }
            System.out.println("Pacemaker's history on node1:\n"
                    + cluster.pacemaker("history", "1").output());
            System.out.println(
                    "crm_mon on node1:\n" + cluster.pacemaker("status", "1").output());
            throw e;
        }
    }

    /** The completion time of node3's last successful fence in node I's Pacemaker history. */
    private Instant lastFence(int node) {
        String xml = cluster.pacemaker("history", String.valueOf(node)).output();
        Instant last = null;
        Matcher m = COMPLETED.matcher(xml);
        while (m.find()) {
            Instant at = Instant.parse(m.group(2).replace(' ', 'T'));
            last = last == null || at.isAfter(last) ? at : last;
        }
        assertThat(last).as("a completed fence of node3 in:\n" + xml).isNotNull();
        return last;
    }

    private CorosyncCluster.Result pacemaker(int node, String... command) {
        List<String> args = new ArrayList<>(List.of("exec", String.valueOf(node)));
        args.addAll(List.of(command));
        CorosyncCluster.Result result = cluster.pacemaker(args.toArray(String[]::new));
        System.out.printf(
                "node%d$ %s -> %d%n%s%n", node, String.join(" ", command), result.exitCode(), result.output());
        return result;
    }

    private static FencingHistory history(String node) {
        FencingHistory history = client.resources(QuorumStatus.class)
                .withName(node)
                .get()
                .getStatus()
                .getFencingHistory();
        assertThat(history).as(node + " reports Pacemaker's fencing history").isNotNull();
        assertThat(history.message()).as("read without error").isNull();
        return history;
    }

    private static VoteQuorumPolicy policy(String name) {
        return client.resources(VoteQuorumPolicy.class).withName(name).get();
    }

    private static Condition condition(String policy, String type) {
        return Conditions.find(policy(policy).getStatus().getConditions(), type).orElseThrow();
    }

    private static List<String> taints(String name) {
        Node node = client.nodes().withName(name).get();
        return Optional.ofNullable(node.getSpec().getTaints()).orElse(List.of()).stream()
                .map(Taints::id)
                .filter(id -> !id.startsWith("node.kubernetes.io/not-ready"))
                .toList();
    }
}
