package io.votequorum.corosync;

import java.util.Set;

/** CS_TRACK_* flags of votequorum_trackstart. */
public enum Track {
    /** Deliver the current state at once. */
    CURRENT(0x01),
    /** Deliver every change from now on. */
    CHANGES(0x02),
    CHANGES_ONLY(0x04);

    final int bit;

    Track(int bit) {
        this.bit = bit;
    }

    static int bits(Set<Track> flags) {
        return flags.stream().mapToInt(f -> f.bit).reduce(0, (a, b) -> a | b);
    }
}
