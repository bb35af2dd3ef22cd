package io.votequorum.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.votequorum.model.QuorumStatus;
import io.votequorum.testenv.RealNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The agent pod's memory as the kubelets report it (working set, from each kubelet's summary API) on
 * three real nodes with the chart at its defaults: over {@value #DEFAULT_IDLE_SECONDS} quiet seconds,
 * then under a burst of membership changes (node 3's corosync cut off from the others and healed,
 * {@value #DEFAULT_CYCLES} times in a row), sampled every 2 s. A benchmark, not a test: {@code make
 * bench BENCH=AgentPodFootprintBenchmark}; writes target/benchmarks/agent-pod.txt.
 */
class AgentPodFootprintBenchmark {

    private static final Path REPO =
            Path.of(System.getProperty("votequorum.repo", ".")).toAbsolutePath();
    private static final String SYSTEM = "votequorum-system";
    private static final int NODES = 3;
    private static final int DEFAULT_IDLE_SECONDS = 300;
    private static final int DEFAULT_CYCLES = 10;
    private static final int IDLE_SECONDS = Integer.getInteger("bench.podIdleSeconds", DEFAULT_IDLE_SECONDS);
    private static final int CYCLES = Integer.getInteger("bench.cycles", DEFAULT_CYCLES);

    @Test
    void workingSetIdleAndUnderABurstOfMembershipChanges() throws Exception {
        try (RealNodes nodes = RealNodes.start(NODES)) {
            nodes.installProduct(SYSTEM);
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> quorate(nodes, 1) && quorate(nodes, 2) && quorate(nodes, 3));
            Thread.sleep(30_000); // start-up settles

            Map<String, List<Double>> idle = new TreeMap<>();
            for (int s = 0; s < IDLE_SECONDS / 20; s++) {
                Thread.sleep(20_000);
                agents(nodes)
                        .forEach((pod, mib) -> idle.computeIfAbsent(pod, p -> new ArrayList<>())
                                .add(mib));
            }

            Map<String, Double> burstPeak = new TreeMap<>();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleWithFixedDelay(
                    () -> {
                        try {
                            agents(nodes).forEach((pod, mib) -> burstPeak.merge(pod, mib, Math::max));
                        } catch (Exception e) {
                            // a missed sample: the next one comes 2 s later
                        }
                    },
                    0,
                    2,
                    TimeUnit.SECONDS);
            long began = System.nanoTime();
            try {
                for (int c = 0; c < CYCLES; c++) {
                    nodes.isolate(3, 1);
                    nodes.isolate(3, 2);
                    await().atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(200))
                            .until(() -> !quorate(nodes, 3));
                    nodes.heal(3);
                    await().atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(200))
                            .until(() -> quorate(nodes, 3));
                }
                Thread.sleep(20_000); // the kubelet's summary lags by up to one housekeeping interval
            } finally {
                sampler.shutdownNow();
                sampler.awaitTermination(10, TimeUnit.SECONDS);
            }
            double burstSeconds = (System.nanoTime() - began) / 1e9;
            Thread.sleep(60_000);
            Map<String, Double> after = agents(nodes);

            StringBuilder report = new StringBuilder(String.format(
                    Locale.ROOT,
                    "agent pods' working set (kubelet summary API), chart defaults, %d real nodes:%n",
                    NODES));
            idle.forEach((pod, samples) -> report.append(String.format(
                    Locale.ROOT,
                    "  %s: idle %d s: %.1f MiB at the end (%.1f - %.1f MiB over %d samples); "
                            + "burst of %d cut/heal cycles in %.0f s: peak %.1f MiB; 60 s later %.1f MiB%n",
                    pod,
                    IDLE_SECONDS,
                    samples.get(samples.size() - 1),
                    samples.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                    samples.stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
                    samples.size(),
                    CYCLES,
                    burstSeconds,
                    burstPeak.getOrDefault(pod, Double.NaN),
                    after.getOrDefault(pod, Double.NaN))));
            report.append("  chart: ")
                    .append(nodes.kubectl(
                                    "-n",
                                    SYSTEM,
                                    "get",
                                    "daemonset/votequorum-agent",
                                    "-o",
                                    "jsonpath={.spec.template.spec.containers[0].resources}")
                            .output())
                    .append('\n');
            System.out.print(report);
            Path out = REPO.resolve("target/benchmarks/agent-pod.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report.toString());
            assertThat(idle).as("the kubelets report every agent pod").hasSize(NODES);
            assertThat(burstPeak).as("samples during the burst").hasSize(NODES);
        }
    }

    /** The agent pods' working set in MiB, by node/pod. */
    private static Map<String, Double> agents(RealNodes nodes) throws Exception {
        Map<String, Double> agents = new TreeMap<>();
        nodes.podStats(SYSTEM).forEach((pod, v) -> {
            if (pod.contains("votequorum-agent")) {
                agents.put(pod, v[1]);
            }
        });
        return agents;
    }

    private static boolean quorate(RealNodes nodes, int node) {
        QuorumStatus qs = nodes.client()
                .resources(QuorumStatus.class)
                .withName(nodes.nodeName(node))
                .get();
        return qs != null
                && qs.getStatus() != null
                && Objects.equals(Boolean.TRUE, qs.getStatus().getQuorate());
    }
}
