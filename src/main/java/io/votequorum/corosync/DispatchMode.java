package io.votequorum.corosync;

/** cs_dispatch_flags_t. */
public enum DispatchMode {
    ONE(1),
    ALL(2),
    BLOCKING(3),
    ONE_NONBLOCKING(4);

    final int code;

    DispatchMode(int code) {
        this.code = code;
    }
}
