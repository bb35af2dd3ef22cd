package io.votequorum.testenv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real corosync cluster of N nodes, each in its own network namespace on a private bridge, driven
 * through {@code hack/corosync-cluster.sh}. Close it to stop every process and remove every
 * namespace, link and file it made.
 */
public final class CorosyncCluster implements AutoCloseable {

    /** Root of the repository, where hack/ lives; tests run from there. */
    public static final Path REPO =
            Path.of(System.getProperty("votequorum.repo", ".")).toAbsolutePath().normalize();

    static final Path SCRIPT = REPO.resolve("hack/corosync-cluster.sh");
    static final Path PACEMAKER = REPO.resolve("hack/pacemaker.sh");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration PACEMAKER_TIMEOUT = Duration.ofSeconds(180);

    /** The address the host has on the nodes' bridge; services the nodes reach listen there. */
    public static final String HOST_ADDRESS = "10.77.0.254";

    private final int size;
    private final Map<String, String> env;

    private CorosyncCluster(int size, Map<String, String> env) {
        this.size = size;
        this.env = env;
    }

    public static Builder builder() {
        return new Builder();
    }

    public int size() {
        return size;
    }

    public String nodeName(int node) {
        return "node" + node;
    }

    public String namespace(int node) {
        return "vqcs" + node;
    }

    public String address(int node) {
        return "10.77.0." + node;
    }

    /** Takes node I off the network: the others lose it, it loses them. */
    public void cut(int node) {
        run("cut", String.valueOf(node));
    }

    /** Puts node I back and removes any link-level drops that involve it. */
    public void heal(int node) {
        run("heal", String.valueOf(node));
    }

    /** Stops corosync on node I; its namespace and files stay, so {@link #startCorosync} brings it back. */
    public void stopCorosync(int node) {
        run("stop", String.valueOf(node));
    }

    /** Starts corosync on node I again and waits until it answers. */
    public void startCorosync(int node) {
        run("start", String.valueOf(node));
    }

    /** Drops the traffic between nodes I and J only. */
    public void isolate(int node, int other) {
        run("isolate", String.valueOf(node), String.valueOf(other));
    }

    /** Runs a command inside node I's namespace and mounts, as a process on that node would. */
    public Result exec(int node, String... command) {
        List<String> args = new ArrayList<>(List.of("exec", String.valueOf(node)));
        args.addAll(List.of(command));
        return script(args);
    }

    /**
     * Starts a long-running command inside node I's namespace, its output going to {@code log}. Stop it
     * with {@link #stop(Process)}. The script and the node's wrappers each replace themselves with the
     * next, so the process returned is the command itself.
     */
    public Process start(int node, Path log, List<String> command) throws IOException {
        List<String> full = new ArrayList<>(List.of("bash", SCRIPT.toString(), "exec", String.valueOf(node)));
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Sends SIGTERM to a command from {@link #start} and everything below it, then waits for it to end. */
    public static void stop(Process process) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** `corosync-quorumtool -s` on node I: the reference every reading of ours is checked against. */
    public String quorumtool(int node, String... options) {
        List<String> command = new ArrayList<>(List.of("corosync-quorumtool"));
        command.addAll(options.length == 0 ? List.of("-s") : List.of(options));
        return exec(node, command.toArray(String[]::new)).output();
    }

    /** Whether `corosync-quorumtool -s` on node I says Quorate: Yes. */
    public boolean quorate(int node) {
        return quorumtool(node).lines().anyMatch(l -> l.matches("Quorate:\\s+Yes"));
    }

    /**
     * hack/pacemaker.sh with this cluster's settings: {@code up} starts Pacemaker on every node with a
     * recording fence device, {@code exec I CMD…} runs a Pacemaker tool on node I, {@code records}
     * lists what the device recorded. {@link #close} stops Pacemaker too.
     */
    public Result pacemaker(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", PACEMAKER.toString()));
        command.addAll(List.of(args));
        return command(command, PACEMAKER_TIMEOUT);
    }

    @Override
    public void close() {
        run("down");
    }

    private void run(String... args) {
        Result result = script(List.of(args));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("corosync-cluster.sh " + String.join(" ", args) + " failed ("
                    + result.exitCode() + "):\n" + result.output());
        }
    }

    private Result script(List<String> args) {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(args);
        return command(command, COMMAND_TIMEOUT);
    }

    private Result command(List<String> command, Duration timeout) {
        try {
            Path out = Files.createTempFile("corosync-cluster", ".out");
            try {
                ProcessBuilder pb =
                        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
                pb.environment().putAll(env);
                Process process = pb.start();
                if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeout);
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    public record Result(int exitCode, String output) {}

    public static final class Builder {
        private int size = 3;
        private final Map<String, String> env = new HashMap<>();

        public Builder nodes(int size) {
            this.size = size;
            return this;
        }

        /** totem.token in milliseconds; 1000 unless set. */
        public Builder tokenMillis(int token) {
            env.put("VQ_TOKEN", String.valueOf(token));
            return this;
        }

        public Builder clusterName(String name) {
            env.put("VQ_CLUSTER_NAME", name);
            return this;
        }

        public Builder twoNode() {
            env.put("VQ_TWO_NODE", "1");
            return this;
        }

        /** Extra lines for corosync.conf's quorum section, such as a device block. */
        public Builder quorumExtra(String lines) {
            env.put("VQ_QUORUM_EXTRA", lines);
            return this;
        }

        /** Extra top-level sections for corosync.conf, such as a uidgid block. */
        public Builder confExtra(String lines) {
            env.put("VQ_CONF_EXTRA", lines);
            return this;
        }

        /** Starts the nodes and waits until all of them are quorate. */
        public CorosyncCluster start() {
            CorosyncCluster cluster = new CorosyncCluster(size, Map.copyOf(env));
            cluster.run("down"); // whatever an earlier, killed run left behind
            try {
                cluster.run("up", String.valueOf(size));
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }
}
