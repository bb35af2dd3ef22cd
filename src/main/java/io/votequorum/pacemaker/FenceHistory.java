package io.votequorum.pacemaker;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the fencing history that Pacemaker's fencer (pacemaker-fenced) keeps in memory and shares
 * across its cluster, through libstonithd, as {@code stonith_admin --history='*'} does. Each read
 * opens its own connection, so any thread may call {@link #read}; the call blocks up to the timeout.
 */
public final class FenceHistory {

    private static final String SONAME = "libstonithd.so.26";
    private static volatile LibStonithd library;

    private FenceHistory() {}

    /** Every entry the fencer knows, for every node. */
    public static List<FenceEvent> read(String client, Duration timeout) throws PacemakerException {
        LibStonithd lib = library();
        Pointer st = lib.stonith_api_new();
        if (st == null) {
            throw new PacemakerException("libstonithd could not create a fencer connection", false);
        }
        try {
            int rc = lib.stonith_api_connect_retry(st, client, 1);
            if (rc != LibStonithd.OK) {
                throw new PacemakerException(
                        "Pacemaker's fencer (pacemaker-fenced) does not answer on this node (" + describe(rc)
                                + "): is Pacemaker running here?",
                        true);
            }
            Pointer cmds = st.getPointer(LibStonithd.CMDS_OFFSET);
            Function history =
                    Function.getFunction(cmds.getPointer((long) LibStonithd.HISTORY_INDEX * Native.POINTER_SIZE));
            PointerByReference out = new PointerByReference();
            int seconds = (int) Math.max(1, timeout.toSeconds());
            rc = history.invokeInt(new Object[] {st, LibStonithd.ST_OPT_SYNC_CALL, null, out, seconds});
            if (rc != LibStonithd.OK) {
                throw new PacemakerException(
                        "Pacemaker's fencer did not give its history (" + describe(rc) + ")", false);
            }
            try {
                return entries(out.getValue());
            } finally {
                if (out.getValue() != null) {
                    lib.stonith_history_free(out.getValue());
                }
            }
        } finally {
            lib.stonith_api_delete(st);
        }
    }

    private static List<FenceEvent> entries(Pointer first) {
        List<FenceEvent> events = new ArrayList<>();
        for (Pointer at = first; at != null && events.size() < 10_000; ) {
            LibStonithd.HistoryEntry e = new LibStonithd.HistoryEntry(at);
            events.add(new FenceEvent(
                    e.target,
                    e.action,
                    FenceEvent.State.of(e.state),
                    Optional.ofNullable(e.origin),
                    Optional.ofNullable(e.delegate),
                    Optional.ofNullable(e.client),
                    e.completed > 0
                            ? Optional.of(Instant.ofEpochSecond(e.completed, e.completedNsec))
                            : Optional.empty(),
                    Optional.ofNullable(e.exitReason)));
            at = e.next;
        }
        return events;
    }

    /** Pacemaker's legacy return codes are negative errno values. */
    private static String describe(int rc) {
        return switch (-rc) {
            case 107 -> "not connected, error " + rc;
            case 111 -> "connection refused, error " + rc;
            case 13 -> "permission denied: the agent must run as root or in the haclient group, error " + rc;
            case 62 -> "timed out, error " + rc;
            default -> "error " + rc;
        };
    }

    private static LibStonithd library() throws PacemakerException {
        LibStonithd lib = library;
        if (lib == null) {
            try {
                lib = Native.load(SONAME, LibStonithd.class);
            } catch (UnsatisfiedLinkError e) {
                throw new PacemakerException(
                        SONAME + " cannot be loaded: Pacemaker's fencer client library (libstonithd26 on Debian and "
                                + "Ubuntu, pacemaker-libs on Fedora and RHEL) is not on this node. JNA said: "
                                + e.getMessage(),
                        true,
                        e);
            }
            library = lib;
        }
        return lib;
    }
}
