package io.votequorum.model;

/** Where the agent's watchdog stands; only the first three make the node count as self-fenced. */
public enum WatchdogState {
    /** Open with its timeout, and fed while corosync confirms that the node is quorate. */
    Armed,
    /** corosync no longer confirms quorum (lost, or corosync unreachable): feeding stops at feedsUntil. */
    Expiring,
    /** Feeding has stopped: the node resets within the timeout. */
    Expired,
    /** Self-fencing is off: the device is closed with the magic close, or was never opened. */
    Disarmed,
    /** Self-fencing is on but the device cannot be used; the message says why. */
    Unavailable
}
