package io.votequorum.corosync;

import java.util.EnumSet;
import java.util.Set;

/** VOTEQUORUM_INFO_* bits of {@code votequorum_info.flags}. */
public enum VotequorumFlag {
    TWO_NODE(1),
    QUORATE(2),
    WAIT_FOR_ALL(4),
    LAST_MAN_STANDING(8),
    AUTO_TIE_BREAKER(16),
    ALLOW_DOWNSCALE(32),
    QDEVICE_REGISTERED(64),
    QDEVICE_ALIVE(128),
    QDEVICE_CAST_VOTE(256),
    QDEVICE_MASTER_WINS(512);

    private final int bit;

    VotequorumFlag(int bit) {
        this.bit = bit;
    }

    public int bit() {
        return bit;
    }

    public static Set<VotequorumFlag> of(int flags) {
        EnumSet<VotequorumFlag> set = EnumSet.noneOf(VotequorumFlag.class);
        for (VotequorumFlag flag : values()) {
            if ((flags & flag.bit) != 0) {
                set.add(flag);
            }
        }
        return set;
    }
}
