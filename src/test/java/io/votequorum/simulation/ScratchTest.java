package io.votequorum.simulation;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void run() {
        int n = Integer.getInteger("sim.n", 20);
        long seed0 = Long.getLong("sim.seed", 1);
        long t0 = System.nanoTime();
        int bad = 0;
        long passes = 0, tasks = 0, forces = 0;
        for (long seed = seed0; seed < seed0 + n; seed++) {
            Timeline t = Timeline.draw(new Random(seed));
            World w = t.run();
            passes += w.passes;
            tasks += w.time.tasksRun();
            forces += w.forces;
            if (!w.story.violations().isEmpty()) {
                bad++;
                if (bad <= Integer.getInteger("sim.show", 1)) {
                    System.out.println("=== seed " + seed + "\n" + TimelineSimulation.describe(t) + w.story.told());
                }
            }
        }
        System.out.printf(
                "%d timelines, %d with violations, %.1f ms each, %d passes, %d tasks, %d forces%n",
                n, bad, (System.nanoTime() - t0) / 1e6 / n, passes / n, tasks / n, forces);
    }
}
