package io.votequorum.corosync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.JsonLines;
import io.votequorum.testenv.QuorumToolOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The binding's calls, made inside the nodes of a real corosync cluster, checked with corosync-quorumtool. */
class VotequorumIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CHANGE = Duration.ofSeconds(30);
    private static CorosyncCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = CorosyncCluster.builder().nodes(3).clusterName("binding").start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Back to one vote each and 3 expected, in an order corosync accepts at every step. */
    @AfterEach
    void restoreVotes() {
        // corosync accepts no expected votes below the votes present.
        String total = QuorumToolOutput.parse(cluster.quorumtool(1)).field("Total votes");
        cluster.exec(1, "corosync-quorumtool", "-e", total);
        for (int node = 1; node <= 3; node++) {
            cluster.exec(1, "corosync-quorumtool", "-n", String.valueOf(node), "-v", "1");
        }
        cluster.exec(1, "corosync-quorumtool", "-e", "3");
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumToolOutput status = QuorumToolOutput.parse(cluster.quorumtool(1));
            assertThat(status.number("Total votes")).isEqualTo(3);
            assertThat(status.number("Expected votes")).isEqualTo(3);
        });
    }

    /** Runs {@link NodeProbe} on a node and reads the JSON line it printed. */
    static JsonNode probe(int node, String... args) throws IOException {
        return probe(cluster, node, args);
    }

    /** The same on another test's cluster. */
    static JsonNode probe(CorosyncCluster cluster, int node, String... args) throws IOException {
        List<String> command = new ArrayList<>(
                List.of(java(), "-cp", System.getProperty("java.class.path"), NodeProbe.class.getName()));
        command.addAll(List.of(args));
        CorosyncCluster.Result result = cluster.exec(node, command.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.output()).isZero();
        String line = result.output()
                .lines()
                .filter(l -> l.startsWith("{"))
                .reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("probe printed no JSON: " + result.output()));
        return JSON.readTree(line);
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Test
    void getinfoForEachNodeAndForTheQdeviceIdMatchesQuorumtool() throws Exception {
        QuorumToolOutput reference = QuorumToolOutput.parse(cluster.quorumtool(2));
        for (QuorumToolOutput.Row row : reference.members()) {
            JsonNode info = probe(2, "info", String.valueOf(row.nodeId()));
            assertThat(info.path("nodeId").asLong()).isEqualTo(row.nodeId());
            assertThat(info.path("votes").asInt()).isEqualTo(row.votes());
            assertThat(info.path("state").asText()).isEqualTo("MEMBER");
            assertThat(info.path("totalVotes").asInt()).isEqualTo(reference.number("Total votes"));
            assertThat(info.path("quorum").asInt()).isEqualTo(reference.number("Quorum"));
        }
        JsonNode local = probe(2, "info", "0");
        assertThat(local.path("nodeId").asLong())
                .as("node id 0 answers for this node")
                .isEqualTo(2);
        assertThat(local.path("flags").toString()).contains("QUORATE");
    }

    @Test
    void setvotesAndSetexpectedAreWhatQuorumtoolThenShows() throws Exception {
        assertThat(probe(1, "setvotes", "2", "2").path("ok").asBoolean()).isTrue();
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumToolOutput status = QuorumToolOutput.parse(cluster.quorumtool(3));
            assertThat(status.members())
                    .anySatisfy(r -> assertThat(r).extracting("nodeId", "votes").containsExactly(2L, 2));
            assertThat(status.number("Total votes")).isEqualTo(4);
        });

        assertThat(probe(1, "setexpected", "6").path("ok").asBoolean()).isTrue();
        await().atMost(CHANGE).untilAsserted(() -> {
            QuorumToolOutput status = QuorumToolOutput.parse(cluster.quorumtool(2));
            assertThat(status.number("Expected votes")).isEqualTo(6);
            assertThat(status.number("Quorum")).isEqualTo(4);
        });
    }

    @Test
    void invalidCallsAreTypedErrorsThatNameTheCallAndChangeNothing() throws Exception {
        String before = figures(cluster.quorumtool(1));

        JsonNode belowPresent = probe(1, "setexpected", "1");
        assertThat(belowPresent.path("error").asText()).isEqualTo("CS_ERR_INVALID_PARAM");
        assertThat(belowPresent.path("call").asText()).isEqualTo("votequorum_setexpected(1)");
        assertThat(belowPresent.path("message").asText()).contains("votes present");

        JsonNode unknownNode = probe(1, "setvotes", "99", "1");
        assertThat(unknownNode.path("error").asText()).isEqualTo("CS_ERR_NAME_NOT_FOUND");
        assertThat(unknownNode.path("message").asText()).contains("votequorum_setvotes(99, 1)", "no node with this id");

        JsonNode unknownInfo = probe(1, "info", "99");
        assertThat(unknownInfo.path("error").asText()).isEqualTo("CS_ERR_NOT_EXIST");

        assertThat(figures(cluster.quorumtool(1))).as("corosync unchanged").isEqualTo(before);
        assertThat(figures(cluster.quorumtool(3))).as("corosync unchanged").isEqualTo(before);
    }

    @Test
    void moreVotesThanCorosyncsQuorumHoldsAreRefusedBeforeCorosyncSeesThem() throws Exception {
        String before = figures(cluster.quorumtool(1));
        CorosyncCluster.Result result = cluster.exec(
                1,
                java(),
                "-cp",
                System.getProperty("java.class.path"),
                NodeProbe.class.getName(),
                "setvotes",
                "2",
                "508");
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.output()).contains("IllegalArgumentException", "510 votes", "only up to 509 votes");
        assertThat(figures(cluster.quorumtool(1))).isEqualTo(before);
    }

    @Test
    void corosyncStoppedUnderAnOpenHandleIsATypedEventAndANewHandleWorksOnceItIsBack() throws Exception {
        Path log = Files.createTempFile("probe-events", ".jsonl");
        Process events = cluster.start(
                2,
                log,
                List.of(
                        java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        NodeProbe.class.getName(),
                        "events",
                        "120"));
        try {
            await().atMost(CHANGE).until(() -> types(log).contains("quorum"));

            cluster.stopCorosync(2);

            await().atMost(CHANGE).until(() -> types(log).contains("disconnected"));
            JsonNode lost = lines(log).stream()
                    .filter(l -> l.path("type").asText().equals("disconnected"))
                    .findFirst()
                    .orElseThrow();
            assertThat(lost.path("error").asText()).isIn("CS_ERR_LIBRARY", "CS_ERR_BAD_HANDLE");
            assertThat(lost.path("call").asText()).isEqualTo("votequorum_dispatch");

            cluster.startCorosync(2);

            await().atMost(CHANGE).untilAsserted(() -> {
                List<JsonNode> lines = lines(log);
                assertThat(types(log)).contains("reconnected");
                JsonNode rejoined = lines.get(lines.size() - 1);
                assertThat(rejoined.path("type").asText()).isIn("quorum", "membership");
                assertThat(lines).anySatisfy(l -> {
                    assertThat(l.path("type").asText()).isEqualTo("quorum");
                    assertThat(l.path("quorate").asBoolean()).isTrue();
                    assertThat(l.path("nodes").path("2").asText()).isEqualTo("MEMBER");
                    assertThat(l.path("receivedNanos").asLong())
                            .isGreaterThan(lost.path("receivedNanos").asLong());
                });
            });
            await().atMost(CHANGE).until(() -> cluster.quorate(2));
        } finally {
            CorosyncCluster.stop(events);
            Files.deleteIfExists(log);
        }
    }

    private static String figures(String quorumtool) {
        QuorumToolOutput out = QuorumToolOutput.parse(quorumtool);
        return out.field("Expected votes") + "/" + out.field("Total votes") + "/" + out.field("Quorum") + "/"
                + out.members().stream().map(r -> r.nodeId() + ":" + r.votes()).toList();
    }

    private static List<JsonNode> lines(Path log) throws IOException {
        return JsonLines.read(log);
    }

    private static List<String> types(Path log) throws IOException {
        return lines(log).stream().map(l -> l.path("type").asText()).toList();
    }
}
