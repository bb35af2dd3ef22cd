package io.votequorum.fencing;

import java.time.Duration;

/**
 * The policy's ladder timings and limits, parsed.
 *
 * @param fenceTimeout   how long after the exclusion was first seen a node may wait, without proof that it is off, before the
 *                       plan warns that it waits for confirmation
 * @param paused         nothing may be done to any node: the policy is paused, or not valid
 * @param selfFenceAfter the policy's selfFenceAfter; the safe time uses the longer of it and the node's own
 * @param safetyMargin   added to the safe time for clock skew and corosync's detection on the lost side
 * @param advances       nodes may be fenced and moved up the ladder; when false (fencing Disabled), only
 *                       nodes back in the quorate partition are released
 */
public record FencingRules(
        Duration evictAfter,
        Duration fenceTimeout,
        Duration healthyDelay,
        int maxFencedNodes,
        boolean paused,
        Duration selfFenceAfter,
        Duration safetyMargin,
        boolean advances) {

    public static final Duration DEFAULT_SAFETY_MARGIN = Duration.ofSeconds(10);

    public FencingRules(
            Duration evictAfter,
            Duration fenceTimeout,
            Duration healthyDelay,
            int maxFencedNodes,
            boolean paused,
            Duration selfFenceAfter,
            Duration safetyMargin) {
        this(evictAfter, fenceTimeout, healthyDelay, maxFencedNodes, paused, selfFenceAfter, safetyMargin, true);
    }

    /** Rules without self-fencing timings: the default margin and no policy selfFenceAfter. */
    public FencingRules(
            Duration evictAfter, Duration fenceTimeout, Duration healthyDelay, int maxFencedNodes, boolean paused) {
        this(evictAfter, fenceTimeout, healthyDelay, maxFencedNodes, paused, Duration.ZERO, DEFAULT_SAFETY_MARGIN);
    }
}
