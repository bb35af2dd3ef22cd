package io.votequorum.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.votequorum.testenv.BrokenCorosyncLibraries;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.JsonLines;
import io.votequorum.testenv.QuorumToolOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The `status` CLI of the packaged jar, run on the nodes of a real 3-node corosync cluster. */
class StatusCliIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MEMBERSHIP_CHANGE = Duration.ofSeconds(30);
    private static final String JAR = Path.of(
                    System.getProperty("votequorum.jar", "target/quarkus-app/quarkus-run.jar"))
            .toAbsolutePath()
            .toString();
    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private static CorosyncCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = CorosyncCluster.builder().nodes(3).clusterName("statuscli").start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static CorosyncCluster.Result status(int node, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA, "-jar", JAR, "status"));
        command.addAll(List.of(args));
        return cluster.exec(node, command.toArray(String[]::new));
    }

    @Test
    void jsonAgreesWithCorosyncQuorumtoolFieldByFieldOnEveryNode() throws Exception {
        for (int node = 1; node <= 3; node++) {
            CorosyncCluster.Result result = status(node, "-o", "json");
            assertThat(result.exitCode())
                    .as("exit code on quorate node %d: %s", node, result.output())
                    .isZero();
            JsonNode json = JSON.readTree(result.output());
            QuorumToolOutput summary = QuorumToolOutput.parse(cluster.quorumtool(node, "-s"));
            QuorumToolOutput list = QuorumToolOutput.parse(cluster.quorumtool(node, "-l"));

            assertThat(json.path("nodeId").asLong()).as("nodeId").isEqualTo(summary.number("Node ID"));
            assertThat(json.path("nodeName").asText()).isEqualTo("node" + node);
            assertThat(json.path("clusterName").asText()).isEqualTo("statuscli");
            assertThat(json.path("quorate").asBoolean())
                    .isEqualTo(summary.field("Quorate").equals("Yes"));
            assertThat(Long.toHexString(json.at("/ringId/nodeId").asLong()) + "."
                            + Long.toHexString(json.at("/ringId/seq").asLong()))
                    .as("ringId")
                    .isEqualTo(summary.field("Ring ID"));
            assertThat(json.path("expectedVotes").asInt()).isEqualTo(summary.number("Expected votes"));
            assertThat(json.path("highestExpected").asInt()).isEqualTo(summary.number("Highest expected"));
            assertThat(json.path("totalVotes").asInt()).isEqualTo(summary.number("Total votes"));
            assertThat(json.path("quorum").asInt()).isEqualTo(summary.number("Quorum"));
            assertThat(json.path("memberCount").asInt()).isEqualTo(summary.number("Nodes"));
            assertThat(texts(json.path("flags"))).as("flags").isEqualTo(summary.flags());

            List<QuorumToolOutput.Row> members = new ArrayList<>();
            for (JsonNode member : json.path("members")) {
                if (member.path("state").asText().equals("Member")) {
                    members.add(new QuorumToolOutput.Row(
                            member.path("nodeId").asLong(),
                            member.path("votes").asInt(),
                            "",
                            member.path("name").asText(),
                            member.path("nodeId").asLong() == node));
                }
            }
            assertThat(members).as("members of node %d against -s", node).isEqualTo(summary.members());
            assertThat(members).as("members of node %d against -l", node).isEqualTo(list.members());
            QuorumToolOutput.Row local = summary.members().stream()
                    .filter(QuorumToolOutput.Row::local)
                    .findFirst()
                    .orElseThrow();
            assertThat(json.path("nodeVotes").asInt()).isEqualTo(local.votes());
        }
    }

    @Test
    void textPrintsTheQuorumtoolLayout() {
        CorosyncCluster.Result result = status(2);
        assertThat(result.exitCode()).as(result.output()).isZero();
        QuorumToolOutput ours = QuorumToolOutput.parse(result.output());
        QuorumToolOutput reference = QuorumToolOutput.parse(cluster.quorumtool(2, "-s"));
        for (String field : List.of(
                "Nodes",
                "Node ID",
                "Ring ID",
                "Quorate",
                "Expected votes",
                "Highest expected",
                "Total votes",
                "Quorum",
                "Quorum provider")) {
            assertThat(ours.field(field)).as(field).isEqualTo(reference.field(field));
        }
        assertThat(ours.flags()).isEqualTo(reference.flags());
        assertThat(ours.members()).isEqualTo(reference.members());
    }

    @Test
    void watchPrintsEveryChangeOnBothSidesOfACutAndOfTheHeal() throws Exception {
        Path remainingLog = Files.createTempFile("watch-node1", ".jsonl");
        Path cutLog = Files.createTempFile("watch-node3", ".txt");
        Path cutJsonLog = Files.createTempFile("watch-node3", ".jsonl");
        Process remaining =
                cluster.start(1, remainingLog, List.of(JAVA, "-jar", JAR, "status", "--watch", "-o", "json"));
        Process cut = cluster.start(3, cutLog, List.of(JAVA, "-jar", JAR, "status", "--watch"));
        Process cutJson = cluster.start(3, cutJsonLog, List.of(JAVA, "-jar", JAR, "status", "-w", "-o", "json"));
        try {
            // The current state comes first: a quorum line with all three members.
            await().atMost(MEMBERSHIP_CHANGE)
                    .until(() -> quorumLines(remainingLog).size() >= 1
                            && quorumLines(cutJsonLog).size() >= 1
                            && Files.readString(cutLog).contains("quorum"));
            String ringBefore = ring(quorumLines(remainingLog).get(0));
            assertThat(memberIds(quorumLines(remainingLog).get(0))).containsExactly(1L, 2L, 3L);

            cluster.cut(3);

            await().atMost(MEMBERSHIP_CHANGE).untilAsserted(() -> {
                JsonNode last = last(quorumLines(remainingLog));
                assertThat(last.at("/status/quorate").asBoolean()).isTrue();
                assertThat(memberIds(last)).containsExactly(1L, 2L);
                assertThat(ring(last)).isNotEqualTo(ringBefore);

                JsonNode lost = last(quorumLines(cutJsonLog));
                assertThat(lost.at("/status/quorate").asBoolean())
                        .as("cut node quorate")
                        .isFalse();
                assertThat(memberIds(lost)).containsExactly(3L);
                assertThat(ring(lost)).isNotEqualTo(ringBefore);
                assertThat(Files.readString(cutLog)).containsPattern("quorum +quorate=no ring=\\S+ members=3 ");
            });
            String ringOfTheCut = ring(last(quorumLines(remainingLog)));
            assertThat(lines(remainingLog))
                    .as("membership line with the new ring")
                    .anySatisfy(l -> assertThat(l.path("change").asText()).isEqualTo("membership"))
                    .anySatisfy(l -> assertThat(ring(l)).isEqualTo(ringOfTheCut));
            assertThat(status(3).exitCode())
                    .as("status exit code on the cut node")
                    .isEqualTo(2);

            cluster.heal(3);

            await().atMost(MEMBERSHIP_CHANGE).untilAsserted(() -> {
                JsonNode healed = last(quorumLines(remainingLog));
                JsonNode rejoined = last(quorumLines(cutJsonLog));
                assertThat(memberIds(healed)).containsExactly(1L, 2L, 3L);
                assertThat(memberIds(rejoined)).containsExactly(1L, 2L, 3L);
                assertThat(rejoined.at("/status/quorate").asBoolean()).isTrue();
                assertThat(ring(rejoined)).isEqualTo(ring(healed)).isNotEqualTo(ringOfTheCut);
                assertThat(Files.readString(cutLog)).containsPattern("quorum +quorate=yes ring=\\S+ members=1,2,3 ");
            });
        } finally {
            CorosyncCluster.stop(remaining);
            CorosyncCluster.stop(cut);
            CorosyncCluster.stop(cutJson);
            Files.deleteIfExists(remainingLog);
            Files.deleteIfExists(cutLog);
            Files.deleteIfExists(cutJsonLog);
        }
    }

    @Test
    void corosyncNotRunningIsAnErrorThatSaysSo() throws Exception {
        // The host's own namespace runs no corosync.
        Process process = new ProcessBuilder(JAVA, "-jar", JAR, "status")
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).isEqualTo(1);
        assertThat(output).contains("CS_ERR_LIBRARY", "corosync is not running on this node");
    }

    @Test
    void aCorosyncLibraryThatCannotBeLoadedGetsAnInstallHintNotAStackTrace() throws Exception {
        Process process = new ProcessBuilder(BrokenCorosyncLibraries.around(List.of(JAVA, "-jar", JAR, "status")))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output)
                .contains("cannot be loaded: install corosync's client library")
                .doesNotContain("ExceptionInInitializerError", "NoClassDefFoundError", "\tat ");
    }

    @Test
    void aUserCorosyncDoesNotAllowIsToldSo() {
        CorosyncCluster.Result result = cluster.exec(
                1, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", JAVA, "-jar", JAR, "status");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).contains("CS_ERR_ACCESS", "uidgid");
    }

    @Test
    void aBadOptionIsAnErrorWithUsage() {
        CorosyncCluster.Result result = status(1, "-o", "yaml");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).contains("unknown output format 'yaml'", "usage:");
    }

    private static List<JsonNode> lines(Path log) throws IOException {
        return JsonLines.read(log);
    }

    private static List<JsonNode> quorumLines(Path log) throws IOException {
        return lines(log).stream()
                .filter(l -> l.path("change").asText().equals("quorum"))
                .toList();
    }

    private static JsonNode last(List<JsonNode> lines) {
        assertThat(lines).isNotEmpty();
        return lines.get(lines.size() - 1);
    }

    private static String ring(JsonNode line) {
        return line.at("/status/ringId/nodeId").asText() + "."
                + line.at("/status/ringId/seq").asText();
    }

    private static Set<Long> memberIds(JsonNode line) {
        Set<Long> ids = new TreeSet<>();
        line.at("/status/members").forEach(m -> {
            if (m.path("state").asText().equals("Member")) {
                ids.add(m.path("nodeId").asLong());
            }
        });
        return ids;
    }

    private static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false)
                .map(JsonNode::asText)
                .sorted()
                .toList();
    }
}
