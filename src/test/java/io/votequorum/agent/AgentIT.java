package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.votequorum.model.Conditions;
import io.votequorum.model.MemberState;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.RingId;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.WatchdogState;
import io.votequorum.model.WatchdogStatus;
import io.votequorum.testenv.AgentProcess;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.KubeApiServer;
import io.votequorum.testenv.QuorumToolOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The agent, one process per node inside the node's namespace, against a real 3-node corosync
 * cluster and a real API server reached over the bridge.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentIT {

    static final String NAMESPACE = "votequorum-system";
    private static final Duration CHANGE = Duration.ofSeconds(45);
    private static final Path LOGS = Path.of("target", "agent-it");

    private static KubeApiServer api;
    private static KubernetesClient client;
    private static CorosyncCluster cluster;
    private static Path kubeconfig;
    private static final AgentProcess[] agents = new AgentProcess[4];

    @BeforeAll
    static void startEverything() throws IOException {
        api = KubeApiServer.start().withCrds();
        client = api.client();
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        cluster = CorosyncCluster.builder().nodes(3).clusterName("agents").start();
        kubeconfig = AgentProcess.kubeconfigForNodes(api, LOGS);
        for (int node = 1; node <= 3; node++) {
            agents[node] = AgentProcess.start(cluster, node, kubeconfig, NAMESPACE, LOGS);
        }
    }

    @AfterAll
    static void stopEverything() {
        for (AgentProcess agent : agents) {
            if (agent != null) {
                agent.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
        if (api != null) {
            api.close();
        }
    }

    static QuorumStatusStatus status(int node) {
        QuorumStatus qs =
                client.resources(QuorumStatus.class).withName("node" + node).get();
        assertThat(qs).as("QuorumStatus node%d", node).isNotNull();
        return qs.getStatus();
    }

    static List<Long> members(QuorumStatusStatus status) {
        return status.getMembers().stream()
                .filter(m -> m.state() == MemberState.Member)
                .map(m -> m.nodeId())
                .toList();
    }

    static String condition(QuorumStatusStatus status, String type) {
        return Conditions.find(status.getConditions(), type)
                .map(Condition::getStatus)
                .orElse("missing");
    }

    private static void allQuorateWithThreeMembers() {
        await().atMost(CHANGE).untilAsserted(() -> {
            RingId ring = status(1).getRingId();
            for (int node = 1; node <= 3; node++) {
                QuorumStatusStatus s = status(node);
                assertThat(s.getQuorate()).as("node%d quorate", node).isTrue();
                assertThat(s.getMemberCount()).as("node%d members", node).isEqualTo(3);
                assertThat(s.getRingId()).as("node%d ring", node).isEqualTo(ring);
            }
        });
    }

    @Test
    @Order(1)
    void everyNodeReportsItsQuorumWithTheFieldsCorosyncShows() throws Exception {
        allQuorateWithThreeMembers();
        for (int node = 1; node <= 3; node++) {
            QuorumStatusStatus s = status(node);
            QuorumToolOutput reference = QuorumToolOutput.parse(cluster.quorumtool(node));
            assertThat(s.getNodeName()).isEqualTo("node" + node);
            assertThat(s.getNodeId()).isEqualTo(node);
            assertThat(s.getClusterName()).isEqualTo("agents");
            assertThat(s.getExpectedVotes()).isEqualTo(reference.number("Expected votes"));
            assertThat(s.getTotalVotes()).isEqualTo(reference.number("Total votes"));
            assertThat(s.getQuorum()).isEqualTo(reference.number("Quorum"));
            assertThat(s.getRingId().toString()).isEqualTo(reference.field("Ring ID"));
            assertThat(s.getMembers()).extracting(m -> m.name()).containsExactly("node1", "node2", "node3");
            assertThat(condition(s, AgentStatus.COROSYNC_REACHABLE)).isEqualTo("True");
            assertThat(condition(s, AgentStatus.QUORATE)).isEqualTo("True");
            assertThat(s.getLastTransitionTime()).isNotBlank();
        }
        Lease lease = client.leases().inNamespace(NAMESPACE).withName("node1").get();
        assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("node1");
        assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(10);

        assertThat(http(1, "/q/health/ready")).contains("corosyncReachable");
        assertThat(new ObjectMapper()
                        .readTree(http(1, "/q/health/ready"))
                        .path("status")
                        .asText())
                .as("the whole readiness, every check included")
                .isEqualTo("UP");
        String metrics = http(1, "/q/metrics");
        assertThat(metrics)
                .contains(
                        "votequorum_quorate 1.0",
                        "votequorum_members 3.0",
                        "votequorum_quorum 2.0",
                        "votequorum_flag{flag=\"Quorate\"} 1.0",
                        "votequorum_api_writes_total{kind=\"Lease\",result=\"success\"}",
                        "votequorum_status_write_latency_seconds_bucket");

        String table = kubectl("get", "qs");
        assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
                .containsExactly(
                        "NAME",
                        "NODEID",
                        "QUORATE",
                        "VOTES",
                        "EXPECTED",
                        "TOTAL",
                        "QUORUM",
                        "MEMBERS",
                        "RING",
                        "DEVICE",
                        "AGE");
        assertThat(table).containsPattern("node2\\s+2\\s+true\\s+1\\s+3\\s+3\\s+2\\s+3\\s+\\d+");
    }

    @Test
    @Order(2)
    void aPartitionedNodeIsReportedOnBothSidesAndTheHealToo() {
        RingId before = status(1).getRingId();
        // nftables drops between node 3 and the others; node 3 still reaches the API server.
        cluster.isolate(3, 1);
        cluster.isolate(3, 2);

        await().atMost(CHANGE).untilAsserted(() -> {
            for (int node = 1; node <= 2; node++) {
                QuorumStatusStatus s = status(node);
                assertThat(s.getQuorate()).isTrue();
                assertThat(members(s)).containsExactly(1L, 2L);
                assertThat(s.getRingId()).isNotEqualTo(before);
            }
            QuorumStatusStatus cut = status(3);
            assertThat(cut.getQuorate()).as("node3 quorate").isFalse();
            assertThat(members(cut)).containsExactly(3L);
            assertThat(condition(cut, AgentStatus.QUORATE)).isEqualTo("False");
        });
        assertThat(status(1).getRingId()).isEqualTo(status(2).getRingId());

        cluster.heal(3);
        allQuorateWithThreeMembers();
    }

    @Test
    @Order(3)
    void withNothingChangingTheApiServerSeesOnlyLeaseRenewals() throws Exception {
        allQuorateWithThreeMembers();
        Thread.sleep(3000); // let the last transition's writes land
        Instant from = Instant.now();
        Thread.sleep(Duration.ofSeconds(Long.getLong("agent.idleSeconds", 60)).toMillis());
        Instant to = Instant.now();

        Map<String, Integer> writes = writesBetween(from, to);
        assertThat(writes.getOrDefault("quorumstatuses", 0))
                .as("QuorumStatus writes while idle: %s", writes)
                .isZero();
        assertThat(writes.getOrDefault("leases", 0))
                .as("Lease renewals while idle")
                .isGreaterThanOrEqualTo(3 * 20);
        assertThat(writes.keySet()).as("nothing else is written").containsOnly("leases");
    }

    @Test
    @Order(4)
    void corosyncRestartedUnderTheAgentFlipsTheConditionAndStatusCatchesUp() {
        cluster.stopCorosync(2);
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumStatusStatus s = status(2);
            assertThat(condition(s, AgentStatus.COROSYNC_REACHABLE)).isEqualTo("False");
            assertThat(s.getQuorate()).as("quorate unknown").isNull();
            assertThat(condition(s, AgentStatus.QUORATE)).isEqualTo("Unknown");
            assertThat(members(status(1))).containsExactly(1L, 3L);
            assertThat(http(2, "/q/health/ready")).contains("\"status\": \"DOWN\"");
            assertThat(http(2, "/q/metrics")).contains("votequorum_quorate -1.0");
        });

        cluster.startCorosync(2);
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(condition(status(2), AgentStatus.COROSYNC_REACHABLE))
                        .isEqualTo("True"));
        allQuorateWithThreeMembers();
        assertThat(agents[2].alive()).isTrue();
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(new ObjectMapper()
                                .readTree(http(2, "/q/health/ready"))
                                .path("status")
                                .asText())
                        .isEqualTo("UP"));
    }

    @Test
    @Order(5)
    void specVotesAreAppliedAndARefusalIsReportedWithCorosyncsReason() {
        patchSpec(1, Map.of("votes", 2));
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumToolOutput reference = QuorumToolOutput.parse(cluster.quorumtool(2));
            assertThat(reference.members())
                    .anySatisfy(r -> assertThat(r).extracting("nodeId", "votes").containsExactly(1L, 2));
            QuorumStatusStatus s = status(1);
            assertThat(s.getNodeVotes()).isEqualTo(2);
            assertThat(condition(s, AgentStatus.APPLIED)).isEqualTo("True");
            assertThat(s.getApplied().votes()).isEqualTo(2);
            assertThat(s.getObservedGeneration()).isEqualTo(generation(1));
        });

        // Expected votes below the votes present: corosync refuses, and says why.
        patchSpec(2, Map.of("expectedVotes", 1));
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumStatusStatus s = status(2);
            Condition applied =
                    Conditions.find(s.getConditions(), AgentStatus.APPLIED).orElseThrow();
            assertThat(applied.getStatus()).isEqualTo("False");
            assertThat(applied.getReason()).isEqualTo("CS_ERR_INVALID_PARAM");
            assertThat(applied.getMessage()).contains("votequorum_setexpected(1)", "votes present");
            assertThat(applied.getObservedGeneration()).isEqualTo(generation(2));
        });
        assertThat(QuorumToolOutput.parse(cluster.quorumtool(2)).number("Expected votes"))
                .isEqualTo(4);

        // Back to one vote each and 3 expected: votes first, since corosync takes no expected votes below them.
        patchSpec(2, null);
        patchSpec(1, Map.of("votes", 1, "expectedVotes", 3));
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumToolOutput reference = QuorumToolOutput.parse(cluster.quorumtool(3));
            assertThat(reference.number("Total votes")).isEqualTo(3);
            assertThat(reference.number("Expected votes")).isEqualTo(3);
            assertThat(condition(status(1), AgentStatus.APPLIED)).isEqualTo("True");
            assertThat(condition(status(2), AgentStatus.APPLIED)).isEqualTo("True");
        });
    }

    @Test
    @Order(6)
    void aKilledAndRestartedAgentLeavesOneCorrectObject() throws Exception {
        QuorumStatusStatus before = status(3);
        agents[3].kill();
        agents[3] = AgentProcess.start(cluster, 3, kubeconfig, NAMESPACE, LOGS);
        await().atMost(CHANGE).until(() -> agents[3].log().contains("agent for Kubernetes node node3"));
        allQuorateWithThreeMembers();
        assertThat(client.resources(QuorumStatus.class).list().getItems())
                .extracting(q -> q.getMetadata().getName())
                .containsExactlyInAnyOrder("node1", "node2", "node3");
        assertThat(status(3).getLastTransitionTime())
                .as("kept across the restart")
                .isEqualTo(before.getLastTransitionTime());
    }

    @Test
    @Order(7)
    void anApiServerRestartIsSurvivedAndNoTransitionIsLost() throws Exception {
        RingId before = status(1).getRingId();
        api.restart(Duration.ofSeconds(1));
        // Right after it returns, a transition reaches it.
        cluster.cut(3);
        await().atMost(CHANGE).ignoreExceptions().untilAsserted(() -> {
            assertThat(members(status(1))).containsExactly(1L, 2L);
            assertThat(members(status(2))).containsExactly(1L, 2L);
            assertThat(status(1).getRingId()).isNotEqualTo(before);
        });
        cluster.heal(3);
        allQuorateWithThreeMembers();
        for (int node = 1; node <= 3; node++) {
            assertThat(agents[node].alive()).as("agent %d alive", node).isTrue();
        }
    }

    @Test
    @Order(8)
    void aTransitionWhileTheApiServerIsDownIsWrittenWhenItReturns() throws Exception {
        RingId before = status(1).getRingId();
        Thread apiDown = new Thread(() -> {
            try {
                api.restart(Duration.ofSeconds(12));
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        apiDown.start();
        Thread.sleep(1500);
        cluster.cut(3); // the agents see this while the API server is away
        apiDown.join(TimeUnit.MINUTES.toMillis(3));
        await().atMost(CHANGE).ignoreExceptions().untilAsserted(() -> {
            assertThat(members(status(1))).containsExactly(1L, 2L);
            assertThat(status(1).getRingId()).isNotEqualTo(before);
        });
        cluster.heal(3);
        allQuorateWithThreeMembers();
    }

    /** An HTTP GET to the agent on node I, from inside that node, as the kubelet's probes do. */
    private static String http(int node, String path) {
        return cluster.exec(node, "curl", "-s", "--max-time", "5", "http://127.0.0.1:8080" + path)
                .output();
    }

    @Test
    @Order(9)
    void withoutNodeNameTheNodeIdLabelPicksTheKubernetesNode() throws Exception {
        agents[3].close();
        client.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("edge-three")
                        .addToLabels(VoteQuorumApi.NODE_ID_LABEL, "3")
                        .endMetadata()
                        .build())
                .create();
        AgentProcess unnamed = AgentProcess.start(cluster, 3, null, kubeconfig, NAMESPACE, LOGS);
        try {
            await().atMost(CHANGE).untilAsserted(() -> {
                QuorumStatus qs = client.resources(QuorumStatus.class)
                        .withName("edge-three")
                        .get();
                assertThat(qs).isNotNull();
                assertThat(qs.getStatus().getNodeId()).isEqualTo(3L);
                assertThat(qs.getStatus().getNodeName()).isEqualTo("edge-three");
                assertThat(client.leases()
                                .inNamespace(NAMESPACE)
                                .withName("edge-three")
                                .get())
                        .isNotNull();
            });
        } finally {
            unnamed.close();
            client.resources(QuorumStatus.class).withName("edge-three").delete();
            client.nodes().withName("edge-three").delete();
        }
        // Without the label, the corosync node name is the Kubernetes node name.
        agents[3] = AgentProcess.start(cluster, 3, null, kubeconfig, NAMESPACE, LOGS);
        await().atMost(CHANGE).until(() -> agents[3].log().contains("agent for Kubernetes node node3"));
    }

    @Test
    @Order(10)
    void anArmedNodeWithoutQuorumFencesItselfAfterTheSetTimeAndNotWhenQuorumReturnsFirst() throws Exception {
        allQuorateWithThreeMembers();
        Path marker = LOGS.toAbsolutePath().resolve("node3-fenced");
        Files.deleteIfExists(marker);
        agents[3].close();
        agents[3] = AgentProcess.start(
                cluster, 3, kubeconfig, NAMESPACE, LOGS, "-Dvotequorum.agent.self-fence-command=touch," + marker);
        setSelfFenceAfter(3, "60s");
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(selfFenceReason(status(3))).isEqualTo("Armed"));

        // Quorum back well before 60 s: the node does not fence itself.
        cluster.isolate(3, 1);
        cluster.isolate(3, 2);
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(selfFenceReason(status(3))).isEqualTo("WithoutQuorum"));
        cluster.heal(3);
        allQuorateWithThreeMembers();
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(selfFenceReason(status(3))).isEqualTo("Armed"));
        assertThat(status(3).getSelfFenceDeadline()).isNull();
        assertThat(marker).doesNotExist();

        // Two seconds without quorum: the node fences itself, and said by when it would be down.
        setSelfFenceAfter(3, "2s");
        cluster.isolate(3, 1);
        cluster.isolate(3, 2);
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(status(3).getQuorate()).isFalse());
        Instant lost = Instant.parse(status(3).getLastTransitionTime());
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumStatusStatus s = status(3);
            assertThat(s.getSelfFenceDeadline()).isNotNull();
            assertThat(selfFenceReason(s)).isEqualTo("Fencing");
            assertThat(marker).exists();
        });
        Instant deadline = Instant.parse(status(3).getSelfFenceDeadline());
        assertThat(deadline)
                .as("deadline is after the 2 s without quorum plus the action's time")
                .isAfterOrEqualTo(lost.plusSeconds(2 + 5));
        assertThat(agents[3].log())
                .contains("fencing this node (command touch " + marker + ")")
                .contains("fenced this node");

        cluster.heal(3);
        allQuorateWithThreeMembers();
        await().atMost(CHANGE).untilAsserted(() -> {
            assertThat(status(3).getSelfFenceDeadline()).isNull();
            assertThat(selfFenceReason(status(3))).isEqualTo("Armed");
        });
        setSelfFenceAfter(3, null);
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(selfFenceReason(status(3))).isEqualTo("missing"));
    }

    @Test
    @Order(11)
    void theWatchdogIsFedOnlyWhileCorosyncConfirmsQuorumAndOnlyACleanStopDisarmsIt() throws Exception {
        allQuorateWithThreeMembers();
        Path device = LOGS.toAbsolutePath().resolve("watchdog-node3");
        Files.deleteIfExists(device);
        Files.createFile(device);
        String[] options = {
            "-Dvotequorum.agent.self-fence-command=touch,"
                    + LOGS.toAbsolutePath().resolve("node3-fenced-watchdog"),
            AgentProcess.WATCHDOG_OPTION + device,
            "-Dvotequorum.agent.watchdog-timeout=2s"
        };
        Duration after = Duration.ofSeconds(6);
        agents[3].close();
        agents[3] = AgentProcess.start(cluster, 3, kubeconfig, NAMESPACE, LOGS, options);
        setSelfFenceAfter(3, "6s");
        await().atMost(CHANGE).untilAsserted(() -> {
            WatchdogStatus w = status(3).getWatchdog();
            assertThat(w).isNotNull();
            assertThat(w.state()).isEqualTo(WatchdogState.Armed);
            assertThat(w.device()).isEqualTo(device.toString());
            assertThat(w.timeoutSeconds()).isEqualTo(2);
            assertThat(w.selfFenceAfter()).isEqualTo("6s");
            assertThat(w.backsSelfFencing()).isTrue();
            assertThat(condition(status(3), WatchdogFeed.CONDITION)).isEqualTo("True");
        });
        keepsGrowing(device);

        // corosync stopped on the node, the API server still reachable: no confirmations, so no feeding.
        cluster.stopCorosync(3);
        Instant stopped = Instant.now();
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(status(3).getWatchdog())
                        .extracting(WatchdogStatus::state)
                        .isEqualTo(WatchdogState.Expired));
        Instant feedsUntil = Instant.parse(status(3).getWatchdog().feedsUntil());
        assertThat(condition(status(3), WatchdogFeed.CONDITION)).isEqualTo("False");
        Instant lastFeed = stopsGrowing(device);
        LOG_FIGURES.add("corosync stopped: last feed "
                + Duration.between(stopped, lastFeed).toMillis() + " ms after stopCorosync returned; S = "
                + after.toMillis() + " ms; feedsUntil " + feedsUntil);
        assertThat(lastFeed).as("never fed after feedsUntil").isBeforeOrEqualTo(feedsUntil);
        assertThat(lastFeed)
                .as("never fed later than S after the last confirmation")
                .isBeforeOrEqualTo(stopped.plus(after));

        cluster.startCorosync(3);
        allQuorateWithThreeMembers();
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(status(3).getWatchdog())
                        .extracting(WatchdogStatus::state)
                        .isEqualTo(WatchdogState.Armed));
        keepsGrowing(device);

        // Cut off: the status cannot reach the API server, so the agent's log says when feeding stops.
        // corosync keeps confirming quorum until it notices the cut (token and consensus timeouts).
        cluster.cut(3);
        Instant cut = Instant.now();
        Instant lastFeedAfterCut = stopsGrowing(device);
        Instant loggedFeedsUntil =
                await().atMost(CHANGE).until(() -> lastFeedsUntil(agents[3].log()), Objects::nonNull);
        LOG_FIGURES.add(
                "cut: last feed " + Duration.between(cut, lastFeedAfterCut).toMillis()
                        + " ms after cut returned; feedsUntil "
                        + Duration.between(cut, loggedFeedsUntil).toMillis()
                        + " ms after it; S = " + after.toMillis() + " ms");
        assertThat(lastFeedAfterCut).as("never fed after feedsUntil").isBeforeOrEqualTo(loggedFeedsUntil);
        cluster.heal(3);
        allQuorateWithThreeMembers();
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(status(3).getWatchdog())
                        .extracting(WatchdogStatus::state)
                        .isEqualTo(WatchdogState.Armed));
        keepsGrowing(device);

        // Killed: the device is closed without the magic close and nothing feeds it.
        agents[3].kill();
        stopsGrowing(device);
        assertThat(lastByte(device)).as("no magic close after a kill").isNotEqualTo((byte) 'V');

        // A clean stop while quorate: the last byte is the magic close, after the report says Disarmed.
        agents[3] = AgentProcess.start(cluster, 3, kubeconfig, NAMESPACE, LOGS, options);
        await().atMost(CHANGE).until(() -> agents[3].log().contains("watchdog " + device + " armed"));
        keepsGrowing(device);
        ProcessHandle jvm = agents[3].jvm();
        agents[3].close();
        jvm.onExit().get(30, TimeUnit.SECONDS); // the wrapper ends first; the JVM finishes its shutdown after
        assertThat(lastByte(device)).as("magic close on a clean stop").isEqualTo((byte) 'V');
        assertThat(status(3).getWatchdog().state()).isEqualTo(WatchdogState.Disarmed);

        // A device that cannot be opened: Unavailable, saying what is wrong.
        Path missing = LOGS.toAbsolutePath().resolve("no-such-dir").resolve("watchdog");
        agents[3] = AgentProcess.start(cluster, 3, kubeconfig, NAMESPACE, LOGS, AgentProcess.WATCHDOG_OPTION + missing);
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumStatusStatus s = status(3);
            assertThat(s.getWatchdog()).as("status.watchdog").isNotNull();
            assertThat(s.getWatchdog().state()).isEqualTo(WatchdogState.Unavailable);
            assertThat(s.getWatchdog().message()).contains("no watchdog device at " + missing);
            assertThat(s.getWatchdog().backsSelfFencing()).isFalse();
            assertThat(condition(s, WatchdogFeed.CONDITION)).isEqualTo("False");
            assertThat(Conditions.find(s.getConditions(), WatchdogFeed.CONDITION)
                            .orElseThrow()
                            .getReason())
                    .isEqualTo("Unavailable");
        });
        setSelfFenceAfter(3, null);
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(status(3).getWatchdog())
                        .extracting(WatchdogStatus::state)
                        .isEqualTo(WatchdogState.Disarmed));
        System.out.println("watchdog figures: " + LOG_FIGURES);
    }

    private static final List<String> LOG_FIGURES = new ArrayList<>();

    /** The stand-in device grows: the agent feeds it. */
    private static void keepsGrowing(Path device) throws IOException {
        long before = Files.size(device);
        await().atMost(CHANGE).until(() -> Files.size(device) > before + 2);
    }

    /** Waits until the stand-in device has not grown for a while, and says when it was last written. */
    private static Instant stopsGrowing(Path device) throws IOException {
        long[] last = {Files.size(device)};
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    long now = Files.size(device);
                    boolean still = now == last[0];
                    last[0] = now;
                    return still
                            && Files.getLastModifiedTime(device)
                                    .toInstant()
                                    .isBefore(Instant.now().minusSeconds(3));
                });
        long size = Files.size(device);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> Files.size(device) == size);
        return Files.getLastModifiedTime(device).toInstant();
    }

    /** The feedsUntil of the agent's last "Armed -> Expiring" log line, or null. */
    private static Instant lastFeedsUntil(String log) {
        Matcher m =
                Pattern.compile("Armed -> Expiring: .*feeding stops at (\\S+)").matcher(log);
        Instant found = null;
        while (m.find()) {
            found = Instant.parse(m.group(1));
        }
        return found;
    }

    private static byte lastByte(Path device) throws IOException {
        byte[] bytes = Files.readAllBytes(device);
        assertThat(bytes).isNotEmpty();
        return bytes[bytes.length - 1];
    }

    private static String selfFenceReason(QuorumStatusStatus status) {
        return Conditions.find(status.getConditions(), SelfFence.CONDITION)
                .map(Condition::getReason)
                .orElse("missing");
    }

    private static void setSelfFenceAfter(int node, String after) {
        client.resources(QuorumStatus.class)
                .withName("node" + node)
                .patch(
                        PatchContext.of(PatchType.JSON_MERGE),
                        "{\"spec\":{\"selfFenceAfter\":" + (after == null ? "null" : "\"" + after + "\"") + "}}");
    }

    private static void patchSpec(int node, Map<String, Object> spec) {
        QuorumStatus qs =
                client.resources(QuorumStatus.class).withName("node" + node).get();
        Map<String, Object> values = spec == null ? Map.of() : spec;
        qs.getSpec().setVotes((Integer) values.get("votes"));
        qs.getSpec().setExpectedVotes((Integer) values.get("expectedVotes"));
        client.resource(qs).update();
    }

    private static Long generation(int node) {
        return client.resources(QuorumStatus.class)
                .withName("node" + node)
                .get()
                .getMetadata()
                .getGeneration();
    }

    /** Writes the API server itself recorded in its audit log between two instants, by resource. */
    private static Map<String, Integer> writesBetween(Instant from, Instant to) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, Integer> counts = new TreeMap<>();
        for (String line : Files.readAllLines(api.auditLog())) {
            JsonNode event = json.readTree(line);
            Instant at = Instant.parse(event.path("requestReceivedTimestamp").asText());
            // The agents use the test's client certificate; the API server's own leases are not theirs.
            String user = event.at("/user/username").asText();
            if (at.isBefore(from) || at.isAfter(to) || !user.equals("votequorum-test-admin")) {
                continue;
            }
            counts.merge(event.at("/objectRef/resource").asText(), 1, Integer::sum);
        }
        return counts;
    }

    private static String kubectl(String... args) throws Exception {
        Path config = LOGS.resolve("kubeconfig-host.yaml");
        Files.writeString(config, api.kubeconfig());
        List<String> command =
                new ArrayList<>(List.of(KubeApiServer.kubectl().toString(), "--kubeconfig", config.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
