package io.votequorum.pacemaker;

/**
 * Pacemaker's fencer could not be asked. {@code absent}: Pacemaker is not on this node as far as the
 * reader can tell (its library is missing, or no fencer accepts a connection).
 */
public class PacemakerException extends Exception {

    private final boolean absent;

    public PacemakerException(String message, boolean absent) {
        super(message);
        this.absent = absent;
    }

    public PacemakerException(String message, boolean absent, Throwable cause) {
        super(message, cause);
        this.absent = absent;
    }

    public boolean absent() {
        return absent;
    }
}
