package io.votequorum.simulation;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HoleSearchTest {
    @Test
    void search() {
        int max = Integer.getInteger("sim.max", 20000);
        long t0 = System.nanoTime();
        for (int seed = 1; seed <= max; seed++) {
            Timeline t = Timeline.draw(new Random(seed));
            World w = t.run();
            if (!w.story.violations().isEmpty()) {
                System.out.printf(
                        "FOUND after %d timelines (%.0f s): %s%n",
                        seed,
                        (System.nanoTime() - t0) / 1e9,
                        w.story.violations().get(0));
                return;
            }
        }
        System.out.printf("NOT FOUND in %d timelines (%.0f s)%n", max, (System.nanoTime() - t0) / 1e9);
    }
}
