package io.votequorum.corosync;

/** A corosync library call returned something other than CS_OK. Names the call and the C error. */
public class CorosyncException extends RuntimeException {

    private final String call;
    private final CsError error;
    private final int code;

    public CorosyncException(String call, int code) {
        this(call, code, null);
    }

    public CorosyncException(String call, int code, String hint) {
        super(message(call, code, hint));
        this.call = call;
        this.error = CsError.of(code);
        this.code = code;
    }

    private static String message(String call, int code, String hint) {
        CsError error = CsError.of(code);
        String name = error == CsError.CS_ERR_UNKNOWN ? "unknown cs_error_t " + code : error.name();
        return call + " failed: " + name + (hint == null ? "" : " (" + hint + ")");
    }

    /** The C function that failed, such as {@code votequorum_setexpected}. */
    public String call() {
        return call;
    }

    public CsError error() {
        return error;
    }

    /** The raw {@code cs_error_t} value, also for codes {@link CsError} does not know. */
    public int code() {
        return code;
    }
}
