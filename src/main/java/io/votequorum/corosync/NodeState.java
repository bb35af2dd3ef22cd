package io.votequorum.corosync;

/** VOTEQUORUM_NODESTATE_*: how votequorum sees a node. */
public enum NodeState {
    MEMBER(1),
    DEAD(2),
    LEAVING(3),
    /** A state number this binding does not know. */
    UNKNOWN(0);

    private final int code;

    NodeState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static NodeState of(int code) {
        for (NodeState state : values()) {
            if (state.code == code) {
                return state;
            }
        }
        return UNKNOWN;
    }
}
