package io.votequorum.testenv;

import java.util.List;
import java.util.Locale;

/** Percentiles of measured durations, as the benchmarks print them. */
public final class Samples {

    private Samples() {}

    /** "p50 …, p99 …, max …" in milliseconds (nearest-rank percentiles). */
    public static String summary(List<Double> millis) {
        if (millis.isEmpty()) {
            return "no samples";
        }
        List<Double> sorted = millis.stream().sorted().toList();
        return String.format(
                Locale.ROOT,
                "p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)",
                percentile(sorted, 50),
                percentile(sorted, 99),
                sorted.get(sorted.size() - 1),
                sorted.size());
    }

    static double percentile(List<Double> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
