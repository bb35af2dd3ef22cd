package io.votequorum.e2e;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What happened after one event (a cut), each thing the first time it was seen, in a lane: corosync,
 * QuorumStatus, the operator's ladder, the application, Kubernetes. Thread-safe: watches mark from
 * their own threads.
 */
final class Timeline {

    /** One thing seen: its lane, what, and when. */
    record Mark(String lane, String what, Instant at) {}

    private final Instant zero;
    private final Map<String, Mark> marks = new LinkedHashMap<>();

    Timeline(Instant zero) {
        this.zero = zero;
    }

    Instant zero() {
        return zero;
    }

    /** Records WHAT in LANE now, unless it was seen before. */
    void mark(String lane, String what) {
        mark(lane, what, Instant.now());
    }

    synchronized void mark(String lane, String what, Instant at) {
        marks.putIfAbsent(what, new Mark(lane, what, at));
    }

    synchronized boolean seen(String what) {
        return marks.containsKey(what);
    }

    /** Seconds from zero to WHAT, if it was seen. */
    synchronized Optional<Double> at(String what) {
        return Optional.ofNullable(marks.get(what)).map(m -> seconds(m.at()));
    }

    double seconds(Instant at) {
        return Duration.between(zero, at).toMillis() / 1000.0;
    }

    /** Every mark, in the order they happened. */
    synchronized List<Mark> marks() {
        List<Mark> all = new ArrayList<>(marks.values());
        all.sort((a, b) -> a.at().compareTo(b.at()));
        return all;
    }
}
