package io.votequorum.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.statistics.Statistics;

/**
 * Whole timelines against the truth: the production agent loop and operator pass in a simulated world
 * of machines, corosync, kubelets and Kubernetes' controllers, on a virtual clock, with faults drawn
 * and shrunk by jqwik. The oracle is the world's truth, never the product's formulas.
 */
class TimelineSimulation {

    @Property(tries = 2000, seed = "20261207")
    void noTimelineBreaksASafetyRule(@ForAll("choices") List<Integer> choices) {
        Timeline timeline = Timeline.draw(new Choices(choices));
        World world = timeline.run();
        timeline.faults()
                .forEach(f -> Statistics.label("faults").collect(f.kind().name()));
        Statistics.label("cluster").collect(timeline.cluster());
        Statistics.label("forced").collect(world.forces > 0);
        assertThat(world.story.violations())
                .as("%s%nthe timeline:%n%s", describe(timeline), world.story.told())
                .isEmpty();
    }

    static String describe(Timeline timeline) {
        StringBuilder out = new StringBuilder("settings " + timeline.settings() + "\nfaults:\n");
        timeline.faults()
                .forEach(f -> out.append("  at +")
                        .append(f.at().toSeconds())
                        .append("s ")
                        .append(f.describe())
                        .append('\n'));
        return out.toString();
    }

    @Provide
    Arbitrary<List<Integer>> choices() {
        return Arbitraries.integers()
                .between(0, Integer.MAX_VALUE)
                .withDistribution(RandomDistribution.uniform())
                .list()
                .ofSize(Choices.SIZE);
    }

    /** A {@link Random} whose bits are the given choices, then zeros: jqwik shrinks a timeline by zeroing them. */
    static final class Choices extends Random {
        static final int SIZE = 160;
        private final List<Integer> values;
        private int next;

        Choices(List<Integer> values) {
            this.values = values;
        }

        @Override
        protected int next(int bits) {
            int value = next < values.size() ? values.get(next++) : 0;
            return bits >= 31 ? value << (bits - 31) : value >>> (31 - bits);
        }
    }
}
