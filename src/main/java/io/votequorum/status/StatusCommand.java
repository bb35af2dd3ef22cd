package io.votequorum.status;

import jakarta.enterprise.context.ApplicationScoped;

import java.io.PrintStream;
import java.util.List;

/** `status`: the node-side CLI that prints the local votequorum state. */
@ApplicationScoped
public class StatusCommand {

    /** corosync-quorumtool's exit code for an error. */
    static final int EXIT_ERROR = 1;

    public int run(List<String> args) {
        return run(args, System.out, System.err);
    }

    int run(List<String> args, PrintStream out, PrintStream err) {
        err.println("votequorum-operator status: reading votequorum is not available in this build yet");
        return EXIT_ERROR;
    }
}
