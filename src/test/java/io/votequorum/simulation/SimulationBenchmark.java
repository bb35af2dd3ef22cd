package io.votequorum.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The timeline simulation at scale: {@code simulation.timelines} timelines (default 1,000,000) from
 * consecutive seeds after {@code simulation.seed}, on every core. Prints timelines per second, the
 * faults they covered and what the operator did; writes target/benchmarks/simulation.txt. Fails on the
 * first violation, with its story.
 */
class SimulationBenchmark {

    @Test
    void timelinesAtScale() throws Exception {
        long count = Long.getLong("simulation.timelines", 1_000_000);
        long seed = Long.getLong("simulation.seed", 1);
        int threads = Runtime.getRuntime().availableProcessors();
        AtomicLong next = new AtomicLong();
        AtomicLong faults = new AtomicLong();
        AtomicLong forces = new AtomicLong();
        AtomicLong fences = new AtomicLong();
        AtomicLong unfences = new AtomicLong();
        AtomicLong passes = new AtomicLong();
        AtomicLong virtualSeconds = new AtomicLong();
        Map<String, AtomicLong> kinds = new TreeMap<>();
        for (Timeline.Kind kind : Timeline.Kind.values()) {
            kinds.put(kind.name(), new AtomicLong());
        }
        Map<String, AtomicLong> clusters = new ConcurrentSkipListMap<>();
        AtomicReference<String> violation = new AtomicReference<>();
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(pool.submit(() -> {
                long i;
                while (violation.get() == null && (i = next.getAndIncrement()) < count) {
                    Timeline timeline = Timeline.draw(seed + i);
                    World world = timeline.run();
                    faults.addAndGet(timeline.faults().size());
                    timeline.faults().forEach(f -> kinds.get(f.kind().name()).incrementAndGet());
                    clusters.computeIfAbsent(timeline.cluster(), c -> new AtomicLong())
                            .incrementAndGet();
                    forces.addAndGet(world.forces);
                    fences.addAndGet(world.fences);
                    unfences.addAndGet(world.unfences);
                    passes.addAndGet(world.passes);
                    virtualSeconds.addAndGet(Timeline.WARM_UP
                            .plus(Timeline.FAULTS)
                            .plus(Timeline.QUIET)
                            .toSeconds());
                    if (!world.story.violations().isEmpty()) {
                        violation.compareAndSet(
                                null,
                                "seed " + (seed + i) + "\n" + TimelineSimulation.describe(timeline)
                                        + world.story.told());
                    }
                    if (i > 0 && i % 100_000 == 0) {
                        System.out.printf("%,d timelines, %.0f s%n", i, (System.nanoTime() - started) / 1e9);
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - started) / 1e9;
        long done = Math.min(next.get(), count);
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                "timeline simulation: %,d timelines from seed %d on %d threads in %.0f s: %.0f timelines/s%n",
                done, seed, threads, seconds, done / seconds));
        out.append(String.format(
                "  %,d faults (%.1f per timeline), %,d virtual hours; %,d operator passes%n",
                faults.get(), (double) faults.get() / done, virtualSeconds.get() / 3600, passes.get()));
        out.append(String.format(
                "  the operator: %,d fences, %,d forces (out-of-service taints and forced deletions), %,d unfences%n",
                fences.get(), forces.get(), unfences.get()));
        out.append("  clusters:");
        clusters.forEach((cluster, n) -> out.append(String.format(" %s %,d;", cluster, n.get())));
        out.append(String.format("%n  faults by kind:"));
        kinds.forEach((kind, n) -> out.append(String.format(" %s %,d;", kind, n.get())));
        out.append(String.format("%n  violations: %s%n", violation.get() == null ? "none" : "see below"));
        System.out.print(out);
        write(out.toString());
        assertThat(violation.get()).as("a timeline broke a safety rule").isNull();
        assertThat(done).isEqualTo(count);
    }

    private static void write(String figures) throws IOException {
        Path dir = Path.of("target", "benchmarks");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("simulation.txt"), figures);
    }
}
