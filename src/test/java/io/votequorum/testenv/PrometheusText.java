package io.votequorum.testenv;

/** Figures from the Prometheus text the agent and the operator serve on /q/metrics. */
public final class PrometheusText {

    private PrometheusText() {}

    /** The sum over every series of a metric, such as a histogram's _count over all its labels. */
    public static double sum(String exposition, String name) {
        return exposition
                .lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
