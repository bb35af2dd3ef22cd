package io.votequorum.simulation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;

/**
 * The simulation's clock and its one queue of things to happen: each runs at its time, in the order
 * it was scheduled among those of the same time. Nothing sleeps, nothing runs on another thread.
 */
final class VirtualTime {

    private record Task(Instant at, long seq, Runnable run, boolean[] cancelled) {}

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> {
        int c = a.at().compareTo(b.at());
        return c != 0 ? c : Long.compare(a.seq(), b.seq());
    });
    private Instant now;
    private long seq;
    private long ran;

    VirtualTime(Instant start) {
        this.now = start;
    }

    Instant now() {
        return now;
    }

    long tasksRun() {
        return ran;
    }

    /** Runs {@code task} after {@code delay}; the handle cancels it. */
    Runnable after(Duration delay, Runnable task) {
        boolean[] cancelled = {false};
        queue.add(new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), seq++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    Runnable at(Instant at, Runnable task) {
        return after(Duration.between(now, at), task);
    }

    /** Runs everything due up to {@code end}, and leaves the clock there. */
    void runUntil(Instant end) {
        while (!queue.isEmpty() && !queue.peek().at().isAfter(end)) {
            Task task = queue.poll();
            now = task.at();
            if (!task.cancelled()[0]) {
                ran++;
                task.run().run();
            }
        }
        now = end;
    }

    /** A clock this far ahead of the true time (behind when negative), as a node's own clock is. */
    Clock clock(Duration skew) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.plus(skew);
            }
        };
    }
}
