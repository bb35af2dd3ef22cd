package io.votequorum.corosync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.Samples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.Year;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Not a test: prints how long a membership change takes from corosync forming it (its log, hires
 * timestamps) to the binding's Java event, next to corosync-quorumtool -m for reference, and the CPU
 * time an idle dispatch thread uses. Run with {@code make bench}.
 */
class VotequorumLatencyBenchmark {

    private static final int CYCLES = Integer.getInteger("bench.cycles", 10);
    private static final Duration IDLE = Duration.ofSeconds(Long.getLong("bench.idleSeconds", 60));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FORMED = Pattern.compile(
            "^(\\w{3} +\\d+ \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*A new membership \\(([0-9a-f]+\\.[0-9a-f]+)\\) was formed");
    private static final DateTimeFormatter LOG_TIME =
            DateTimeFormatter.ofPattern("yyyy MMM d HH:mm:ss.SSS", Locale.ROOT);

    @Test
    void membershipChangeToJavaEvent() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");
        try (CorosyncCluster cluster =
                CorosyncCluster.builder().nodes(3).clusterName("bench").start()) {
            Path events = Files.createTempFile("bench-events", ".jsonl");
            Path tool = Files.createTempFile("bench-quorumtool", ".txt");
            Process probe = cluster.start(
                    1, events, List.of(java, "-cp", classpath, NodeProbe.class.getName(), "events", "900"));
            long firstCut;
            Process monitor = cluster.start(
                    1,
                    tool,
                    List.of(
                            "sh",
                            "-c",
                            "stdbuf -oL corosync-quorumtool -m | "
                                    + "perl -MTime::HiRes=time -ne '$|=1; printf \"%.6f %s\", time, $_'"));
            try {
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> Files.readString(events).contains("\"quorum\""));
                firstCut = System.currentTimeMillis() * 1000;
                for (int i = 0; i < CYCLES; i++) {
                    int before = membershipEvents(events).size();
                    cluster.cut(3);
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> membershipEvents(events).size() > before);
                    cluster.heal(3);
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> membershipEvents(events).size() > before + 1);
                }
                Thread.sleep(1000); // let quorumtool's last block arrive
            } finally {
                CorosyncCluster.stop(probe);
                CorosyncCluster.stop(monitor);
            }

            Map<String, Long> formed = formedAt(cluster, 1);
            Map<String, Long> javaAt = new HashMap<>();
            for (JsonNode event : membershipEvents(events)) {
                javaAt.putIfAbsent(
                        event.path("ring").asText(), event.path("receivedNanos").asLong() / 1_000);
            }
            Map<String, Long> toolAt = quorumtoolAt(tool);
            List<Double> javaLatency = new ArrayList<>();
            List<Double> toolLatency = new ArrayList<>();
            long cutsFrom = firstCut;
            formed.forEach((ring, micros) -> {
                if (micros < cutsFrom) {
                    return; // formed before the probe listened: delivered by CS_TRACK_CURRENT, not as a change
                }
                if (javaAt.containsKey(ring)) {
                    javaLatency.add((javaAt.get(ring) - micros) / 1000.0);
                }
                if (toolAt.containsKey(ring)) {
                    toolLatency.add((toolAt.get(ring) - micros) / 1000.0);
                }
            });
            assertThat(javaLatency)
                    .as("membership changes matched to Java events")
                    .hasSize(2 * CYCLES);

            Path idle = Files.createTempFile("bench-idle", ".jsonl");
            Process idleProbe = cluster.start(
                    2,
                    idle,
                    List.of(
                            java,
                            "-cp",
                            classpath,
                            NodeProbe.class.getName(),
                            "events",
                            String.valueOf(IDLE.toSeconds())));
            assertThat(idleProbe.waitFor(IDLE.toSeconds() + 60, TimeUnit.SECONDS))
                    .isTrue();
            long idleCpuNanos = JSON.readTree(Files.readAllLines(idle).stream()
                            .filter(l -> l.contains("\"end\""))
                            .findFirst()
                            .orElseThrow())
                    .path("dispatchCpuNanos")
                    .asLong();

            String report = String.join(
                    "\n",
                    "votequorum membership change -> Java event (" + javaLatency.size() + " transitions, " + CYCLES
                            + " cut/heal cycles of 1 node of 3, token 1000 ms)",
                    "  binding:              " + Samples.summary(javaLatency),
                    "  corosync-quorumtool -m: " + Samples.summary(toolLatency),
                    "  (measured from corosync's 'A new membership (ring) was formed' log line, ms)",
                    "idle dispatch thread CPU over " + IDLE.toSeconds() + " s: "
                            + String.format(Locale.ROOT, "%.3f ms", idleCpuNanos / 1e6));
            System.out.println(report);
            Path out = Path.of("target", "benchmarks", "votequorum-latency.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report + "\n");
        }
    }

    private static List<JsonNode> membershipEvents(Path log) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("{") && line.contains("\"membership\"")) {
                events.add(JSON.readTree(line));
            }
        }
        return events;
    }

    /** When corosync on node I logged each new membership, in microseconds since the epoch. */
    private static Map<String, Long> formedAt(CorosyncCluster cluster, int node) throws IOException {
        Path log =
                Path.of(System.getProperty("vq.cluster.dir", "/tmp/vq-corosync"), "node" + node, "log", "corosync.log");
        Map<String, Long> formed = new HashMap<>();
        String year = Year.now().toString();
        for (String line : Files.readAllLines(log)) {
            Matcher m = FORMED.matcher(line);
            if (m.find()) {
                LocalDateTime at = LocalDateTime.parse(year + " " + m.group(1).replaceAll(" +", " "), LOG_TIME);
                formed.put(
                        m.group(2),
                        at.atZone(ZoneId.systemDefault()).toInstant().toEpochMilli() * 1000);
            }
        }
        return formed;
    }

    /** When corosync-quorumtool -m printed each ring id, in microseconds since the epoch. */
    private static Map<String, Long> quorumtoolAt(Path output) throws IOException {
        Map<String, Long> at = new HashMap<>();
        for (String line : Files.readAllLines(output)) {
            Matcher m = Pattern.compile("^(\\d+\\.\\d+) Ring ID:\\s+(\\S+)").matcher(line);
            if (m.find()) {
                at.putIfAbsent(m.group(2), (long) (Double.parseDouble(m.group(1)) * 1e6));
            }
        }
        return at;
    }
}
