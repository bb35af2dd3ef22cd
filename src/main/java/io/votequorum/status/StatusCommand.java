package io.votequorum.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.votequorum.agent.StatusReport;
import io.votequorum.corosync.CorosyncException;
import io.votequorum.corosync.CorosyncLibraryException;
import io.votequorum.corosync.QuorumEvent;
import io.votequorum.corosync.QuorumReader;
import io.votequorum.corosync.QuorumSnapshot;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * `status`: the node-side CLI. Prints this node's votequorum state as {@code corosync-quorumtool -s}
 * does, or as JSON with the QuorumStatus field names, once or on every change. Needs no Kubernetes.
 */
@ApplicationScoped
public class StatusCommand {

    /** corosync-quorumtool's exit codes. */
    static final int EXIT_QUORATE = 0;

    static final int EXIT_ERROR = 1;
    static final int EXIT_NOT_QUORATE = 2;

    private static final Duration CURRENT_STATE_TIMEOUT = Duration.ofSeconds(5);

    static final String USAGE = """
            usage: votequorum-operator status [-o text|json] [-w|--watch]

              -o, --output FORMAT  text (the layout of corosync-quorumtool -s, the default) or json
                                   (the QuorumStatus status fields)
              -w, --watch          print one line, or one JSON document, per quorum, membership or
                                   expected-votes change, until interrupted
              -h, --help           show this help

            Exit codes: 0 quorate, 2 not quorate, 1 error (as corosync-quorumtool).""";

    private final ObjectMapper json = new ObjectMapper();

    /** The parsed command line. */
    record Options(boolean json, boolean watch) {

        static Options parse(List<String> args) {
            boolean json = false;
            boolean watch = false;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "-w", "--watch" -> watch = true;
                    case "-o", "--output" -> {
                        if (i + 1 >= args.size()) {
                            throw new IllegalArgumentException(arg + " needs a format: text or json");
                        }
                        json = format(args.get(++i));
                    }
                    default -> {
                        if (arg.startsWith("-o") && arg.length() > 2) {
                            json = format(arg.substring(2));
                        } else if (arg.startsWith("--output=")) {
                            json = format(arg.substring("--output=".length()));
                        } else {
                            throw new IllegalArgumentException("unknown option '" + arg + "'");
                        }
                    }
                }
            }
            return new Options(json, watch);
        }

        private static boolean format(String name) {
            return switch (name) {
                case "json" -> true;
                case "text" -> false;
                default -> throw new IllegalArgumentException("unknown output format '" + name + "': use text or json");
            };
        }
    }

    public int run(List<String> args) {
        return run(args, System.out, System.err);
    }

    int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("-h") || args.contains("--help")) {
            out.println(USAGE);
            return EXIT_QUORATE;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("votequorum-operator status: " + e.getMessage());
            err.println(USAGE);
            return EXIT_ERROR;
        }
        json.configure(SerializationFeature.INDENT_OUTPUT, !options.watch());
        try (QuorumReader reader = QuorumReader.connect()) {
            return options.watch() ? watch(reader, options, out) : once(reader, options, out);
        } catch (CorosyncException e) {
            err.println("votequorum-operator status: cannot read votequorum: " + e.getMessage());
            return EXIT_ERROR;
        } catch (CorosyncLibraryException e) {
            err.println("votequorum-operator status: " + e.getMessage());
            return EXIT_ERROR;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_ERROR;
        }
    }

    private int once(QuorumReader reader, Options options, PrintStream out) throws InterruptedException {
        QuorumSnapshot snapshot = reader.readOnce(CURRENT_STATE_TIMEOUT);
        if (options.json()) {
            out.println(toJson(StatusReport.toStatus(snapshot, StatusReport.defaultNodeName(snapshot))));
        } else {
            out.print(QuorumToolFormat.summary(snapshot, Instant.now()));
        }
        out.flush();
        return snapshot.quorate() ? EXIT_QUORATE : EXIT_NOT_QUORATE;
    }

    /** Runs until interrupted, or until corosync goes away (then CorosyncException, exit 1). */
    private int watch(QuorumReader reader, Options options, PrintStream out) throws InterruptedException {
        reader.track();
        while (true) {
            Optional<QuorumEvent> event = reader.next(Duration.ofDays(1));
            if (event.isEmpty()) {
                continue;
            }
            String change = change(event.get());
            QuorumSnapshot snapshot = reader.snapshot();
            if (options.json()) {
                ObjectNode line = json.createObjectNode();
                line.put("time", event.get().received().toString());
                line.put("change", change);
                line.set(
                        "status",
                        json.valueToTree(StatusReport.toStatus(snapshot, StatusReport.defaultNodeName(snapshot))));
                out.println(toJson(line));
            } else {
                out.println(QuorumToolFormat.line(event.get().received(), change, snapshot));
            }
            out.flush();
        }
    }

    private static String change(QuorumEvent event) {
        if (event instanceof QuorumEvent.QuorumChanged) {
            return "quorum";
        }
        if (event instanceof QuorumEvent.MembershipChanged) {
            return "membership";
        }
        return "expected";
    }

    private String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
