package io.votequorum.agent;

import java.time.Duration;

/** A pause that doubles from a minimum to a maximum, and starts over after a success. */
final class Backoff {

    private final Duration min;
    private final Duration max;
    private Duration next;

    Backoff(Duration min, Duration max) {
        this.min = min;
        this.max = max;
        this.next = min;
    }

    synchronized Duration next() {
        Duration current = next;
        next = next.multipliedBy(2).compareTo(max) > 0 ? max : next.multipliedBy(2);
        return current;
    }

    synchronized void reset() {
        next = min;
    }
}
