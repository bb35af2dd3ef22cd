package io.votequorum.corosync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.QuorumToolOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The binding's quorum-device calls on a real two-node corosync cluster whose quorum section
 * declares a one-vote device: the vote counts only on the nodes that cast it, a poll must name the
 * current ring, and a vote no longer polled lapses after the device's timeout.
 */
class QuorumDeviceIT {

    private static final String DEVICE = "votequorum-lease";
    private static final int TIMEOUT_MS = 4000;
    private static final Duration CHANGE = Duration.ofSeconds(30);
    private static final Path LOGS = Path.of("target", "quorum-device-it");
    private static CorosyncCluster cluster;
    private final List<Process> devices = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws IOException {
        Files.createDirectories(LOGS);
        cluster = CorosyncCluster.builder()
                .nodes(2)
                .clusterName("device")
                .quorumExtra("device {\n    model: kubernetes-lease\n    votes: 1\n    timeout: " + TIMEOUT_MS
                        + "\n    sync_timeout: " + TIMEOUT_MS + "\n}")
                .start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void stopDevices() {
        devices.forEach(CorosyncCluster::stop);
        devices.clear();
        cluster.heal(2);
        await().atMost(CHANGE).until(() -> cluster.quorate(1) && cluster.quorate(2));
    }

    /** The probe polling the device on a node, for two minutes at most. */
    private Process device(int node, boolean cast) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                VotequorumIT.java(),
                "-cp",
                System.getProperty("java.class.path"),
                NodeProbe.class.getName(),
                "device",
                DEVICE,
                String.valueOf(cast),
                "120",
                String.valueOf(TIMEOUT_MS / 2)));
        Process process = cluster.start(node, LOGS.resolve("device-node" + node + ".log"), command);
        devices.add(process);
        return process;
    }

    private static String deviceFlags(int node) {
        // The node's own row, e.g. "1 1 A,V,NMW 10.99.0.1 (local)".
        return QuorumToolOutput.parse(cluster.quorumtool(node)).members().stream()
                .filter(r -> r.local())
                .map(QuorumToolOutput.Row::qdevice)
                .findFirst()
                .orElse("");
    }

    @Test
    void aCastVoteKeepsOnlyItsOwnSideQuorateAndLapsesOneTimeoutAfterTheLastPoll() throws IOException {
        Process casting = device(1, true);
        await().atMost(CHANGE)
                .untilAsserted(() -> assertThat(deviceFlags(1))
                        .as("registered, alive and casting on node1")
                        .isEqualTo("A,V,NMW"));
        assertThat(deviceFlags(2)).as("node2 never registered a device").isEqualTo("NR");

        cluster.cut(2);
        await().atMost(CHANGE).untilAsserted(() -> {
            assertThat(QuorumToolOutput.parse(cluster.quorumtool(1)).number("Total votes"))
                    .isEqualTo(2);
            assertThat(cluster.quorate(1))
                    .as("node1: its vote and the device's")
                    .isTrue();
            assertThat(QuorumToolOutput.parse(cluster.quorumtool(2)).number("Total votes"))
                    .isEqualTo(1);
            assertThat(cluster.quorate(2)).as("node2: its vote alone").isFalse();
        });

        CorosyncCluster.stop(casting);
        Instant stopped = Instant.now();
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> !cluster.quorate(1));
        Duration lapse = Duration.between(stopped, Instant.now());
        System.out.printf(
                "quorum device: vote lapsed %d ms after its last poller stopped (device timeout %d ms)%n",
                lapse.toMillis(), TIMEOUT_MS);
        assertThat(deviceFlags(1)).as("still registered, no longer alive").isEqualTo("NA,NV,NMW");
    }

    @Test
    void aVoteCastForNoNodeLeavesEachSideWithItsOwnVotes() throws IOException {
        device(1, false);
        await().atMost(CHANGE).untilAsserted(() -> assertThat(deviceFlags(1)).isEqualTo("A,NV,NMW"));
        cluster.cut(2);
        await().atMost(CHANGE).untilAsserted(() -> {
            assertThat(cluster.quorate(1)).isFalse();
            assertThat(cluster.quorate(2)).isFalse();
        });
    }

    @Test
    void aPollForAnOldRingIsRefusedAndChangesNothing() throws IOException {
        JsonNode refused = VotequorumIT.probe(cluster, 1, "device-ring", DEVICE, "1", "0");
        assertThat(refused.path("error").asText()).isEqualTo("CS_ERR_MESSAGE_ERROR");
        assertThat(refused.path("call").asText()).startsWith("votequorum_qdevice_poll");
        assertThat(deviceFlags(1)).isNotEqualTo("A,V,NMW");
    }
}
