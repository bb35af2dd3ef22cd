package io.votequorum.corosync;

/** A corosync client library is missing or cannot be loaded; the message says what to install. */
public class CorosyncLibraryException extends RuntimeException {

    public CorosyncLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
