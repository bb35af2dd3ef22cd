package io.votequorum.fencing;

import java.time.Duration;

/** The policy's ladder timings and limits, parsed. */
public record FencingRules(Duration evictAfter, Duration fenceTimeout, Duration healthyDelay, int maxFencedNodes,
        boolean paused) {
}
