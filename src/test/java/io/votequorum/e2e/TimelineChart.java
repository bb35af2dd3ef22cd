package io.votequorum.e2e;

import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws the timeline of a cut as a PNG with JFreeChart: one row per event, top to bottom in the order
 * given, a point at its seconds after the cut coloured by its lane (corosync, QuorumStatus, the
 * ladder, ...), on a logarithmic axis so that the first seconds and the last minutes both read.
 */
final class TimelineChart {

    /** One event: its lane, what happened, and when, in seconds after the cut. */
    record Event(String lane, String what, double seconds) {}

    private TimelineChart() {}

    /** What the chart leaves out: steps that come with another at the same moment, and the cut itself. */
    private static final Set<String> SAME_MOMENT = Set.of(
            "node3 cut",
            "node.kubernetes.io/unschedulable:NoSchedule",
            "node.kubernetes.io/unreachable:NoSchedule",
            "web back to 2 Ready",
            "powered on",
            "votequorum.io/inquorate:NoSchedule",
            "web pod on node3 deleting");

    /**
     * Draws the first cut with the operator and the first without it from the benchmark's TSV (kind, cut,
     * lane, what, seconds) into PNG. {@code java ... TimelineChart TSV PNG} redraws a recorded run.
     */
    static void draw(Path tsv, Path png) throws IOException {
        List<Event> events = new ArrayList<>();
        for (String kind : List.of("operator", "alone")) {
            for (String line : Files.readAllLines(tsv)) {
                String[] f = line.split("\t");
                boolean shown = kind.equals("alone")
                        ? !f[3].equals("node3 cut") && !f[3].contains("NoSchedule")
                        : !SAME_MOMENT.contains(f[3]);
                if (f[0].equals(kind) && f[1].equals("1") && shown) {
                    events.add(
                            kind.equals("alone")
                                    ? new Event(
                                            "Kubernetes alone (no operator)",
                                            "without the operator: " + f[3],
                                            Double.parseDouble(f[4]))
                                    : new Event(f[2], f[3], Double.parseDouble(f[4])));
                }
            }
        }
        draw(
                "A cut of node3 and its heal: votequorum-operator at its default timings, and Kubernetes alone",
                events,
                png);
    }

    public static void main(String[] args) throws IOException {
        draw(Path.of(args[0]), Path.of(args[1]));
    }

    /** Draws EVENTS, the first at the top, into FILE. */
    static void draw(String title, List<Event> events, Path file) throws IOException {
        int rows = events.size();
        String[] names = new String[rows];
        Map<String, XYSeries> lanes = new LinkedHashMap<>();
        XYPlot plot = new XYPlot();
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        for (int i = 0; i < rows; i++) {
            Event e = events.get(i);
            int y = rows - 1 - i;
            names[y] = e.what();
            double x = Math.max(0.5, e.seconds());
            lanes.computeIfAbsent(e.lane(), XYSeries::new).add(x, y);
            XYTextAnnotation text = new XYTextAnnotation(String.format(Locale.ROOT, "   %.1f s", e.seconds()), x, y);
            text.setFont(font);
            text.setTextAnchor(TextAnchor.CENTER_LEFT);
            plot.addAnnotation(text);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        lanes.values().forEach(data::addSeries);
        LogAxis seconds = new LogAxis("seconds after the cut (logarithmic)");
        seconds.setBase(2);
        seconds.setRange(0.5, 700);
        seconds.setTickUnit(new NumberTickUnit(1));
        seconds.setNumberFormatOverride(new DecimalFormat("0.#"));
        SymbolAxis what = new SymbolAxis(null, names);
        what.setTickLabelFont(font);
        what.setRange(-0.7, rows - 0.3);
        what.setGridBandsVisible(false);
        plot.setDataset(data);
        plot.setDomainAxis(seconds);
        plot.setRangeAxis(what);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        Color[] palette = {
            new Color(178, 34, 34),
            new Color(30, 80, 200),
            new Color(0, 128, 0),
            new Color(230, 120, 0),
            new Color(140, 40, 160),
            new Color(0, 140, 140),
            new Color(110, 110, 110)
        };
        for (int s = 0; s < data.getSeriesCount(); s++) {
            renderer.setSeriesPaint(s, palette[s % palette.length]);
            renderer.setSeriesShape(s, new Ellipse2D.Double(-5, -5, 10, 10));
        }
        plot.setRenderer(renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(new Color(235, 235, 235));
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        Files.createDirectories(file.toAbsolutePath().getParent());
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1400, 140 + 26 * rows);
    }
}
