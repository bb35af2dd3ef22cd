package io.votequorum.corosync;

import java.util.function.IntSupplier;

/**
 * Runs a corosync library call, retrying CS_ERR_TRY_AGAIN with a growing pause as corosync-qdevice
 * does (corosync answers it while a membership change is in progress), and turns any other error
 * into a {@link CorosyncException} that names the call.
 */
final class CsCall {

    static final int MAX_ATTEMPTS = 10;
    private static final long FIRST_PAUSE_MS = 10;
    private static final long MAX_PAUSE_MS = 500;

    private CsCall() {}

    static void check(String call, IntSupplier invocation) {
        check(call, invoke(invocation));
    }

    /** Throws the typed exception, with its hint, unless {@code code} is CS_OK. */
    static void check(String call, int code) {
        if (code != CsError.CS_OK.code()) {
            throw new CorosyncException(call, code, hint(call, CsError.of(code)));
        }
    }

    /** Returns the call's final code (never TRY_AGAIN unless the attempts ran out). */
    static int invoke(IntSupplier invocation) {
        long pause = FIRST_PAUSE_MS;
        int code = invocation.getAsInt();
        for (int attempt = 1; code == CsError.CS_ERR_TRY_AGAIN.code() && attempt < MAX_ATTEMPTS; attempt++) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return code;
            }
            pause = Math.min(pause * 2, MAX_PAUSE_MS);
            code = invocation.getAsInt();
        }
        return code;
    }

    private static String hint(String call, CsError error) {
        boolean connecting = call.endsWith("_initialize");
        return switch (error) {
            case CS_ERR_LIBRARY ->
                connecting
                        ? "corosync is not running on this node, or its IPC socket is in another network namespace"
                        : "the connection to corosync was lost";
            case CS_ERR_ACCESS, CS_ERR_SECURITY ->
                "this user is not allowed to use corosync's IPC: run as root "
                        + "or allow the user or group with uidgid { uid: ... } in corosync.conf";
            case CS_ERR_TRY_AGAIN -> "corosync stayed busy after " + MAX_ATTEMPTS + " attempts";
            case CS_ERR_BAD_HANDLE -> "the handle is no longer valid; reconnect";
            case CS_ERR_INVALID_PARAM ->
                call.startsWith("votequorum_set")
                        ? "corosync refuses expected votes below the votes present, and any value whose quorum would "
                                + "be more than the votes present; see the total votes in getinfo"
                        : null;
            case CS_ERR_NAME_NOT_FOUND, CS_ERR_NOT_EXIST ->
                call.startsWith("votequorum_getinfo") || call.startsWith("votequorum_setvotes")
                        ? "votequorum knows no node with this id"
                        : null;
            default -> null;
        };
    }
}
