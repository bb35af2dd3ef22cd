package io.votequorum.simulation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What happened in one timeline, second by second, from both sides: the truth (faults, rings, power,
 * the pods' processes) and what the operator did. A failure prints it.
 */
final class Story {

    private final Instant start;
    private final List<String> lines = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();

    Story(Instant start) {
        this.start = start;
    }

    void truth(Instant at, String what) {
        lines.add(stamp(at) + "  truth     " + what);
    }

    void fault(Instant at, String what) {
        lines.add(stamp(at) + "  FAULT     " + what);
    }

    void operator(Instant at, String what) {
        lines.add(stamp(at) + "  operator  " + what);
    }

    void violation(Instant at, String what) {
        String line = stamp(at) + "  VIOLATION " + what;
        lines.add(line);
        violations.add(line);
    }

    List<String> violations() {
        return violations;
    }

    String stamp(Instant at) {
        Duration d = Duration.between(start, at);
        String seconds = String.valueOf(d.toSeconds());
        String millis = String.valueOf(1000 + d.toMillisPart()).substring(1);
        return "t=" + " ".repeat(Math.max(0, 4 - seconds.length())) + seconds + "." + millis + "s";
    }

    String told() {
        return String.join("\n", lines);
    }
}
