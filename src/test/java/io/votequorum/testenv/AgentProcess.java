package io.votequorum.testenv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The packaged agent, started inside a corosync node's namespace as a DaemonSet pod would run on
 * that node, with the JVM settings the deployment uses and a kubeconfig that reaches the API server
 * over the bridge.
 */
public final class AgentProcess implements AutoCloseable {

    /** The agent's JVM footprint settings; the same as in deploy/ and the README. */
    public static final List<String> JVM_OPTIONS = List.of(
            "-Xms8m",
            "-Xmx24m",
            "-Xss256k",
            "-XX:+UseSerialGC",
            "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=20",
            "-XX:MaxMetaspaceSize=64m",
            "-XX:ReservedCodeCacheSize=16m",
            "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1",
            "-Xshare:auto",
            "-XX:TrimNativeHeapInterval=5000");

    /** Environment for the agent's JVM: fewer glibc malloc arenas keep native memory small. */
    public static final List<String> ENVIRONMENT = List.of("MALLOC_ARENA_MAX=2");

    /** The agent's watchdog device setting; unless a test sets it, a path that does not exist. */
    public static final String WATCHDOG_OPTION = "-Dvotequorum.agent.watchdog-device=";

    /** The agent's self-fence action; unless a test sets it, one that fails, never the SysRq reboot. */
    public static final String SELF_FENCE_OPTION = "-Dvotequorum.agent.self-fence-command=";

    static final Path JAR = Path.of(System.getProperty("votequorum.jar", "target/quarkus-app/quarkus-run.jar"))
            .toAbsolutePath();
    /** The agent's java: the tests' own runtime, or another one to measure (agent.java). */
    static final String JAVA = System.getProperty(
            "agent.java",
            Path.of(System.getProperty("java.home"), "bin", "java").toString());

    private final int node;
    private final Path log;
    private final Process process;

    private AgentProcess(int node, Path log, Process process) {
        this.node = node;
        this.log = log;
        this.process = process;
    }

    /** Starts the agent for node I, named nodeI in Kubernetes, its Lease in {@code namespace}. */
    public static AgentProcess start(
            CorosyncCluster cluster, int node, Path kubeconfig, String namespace, Path logDir, String... extraOptions)
            throws IOException {
        return start(cluster, node, cluster.nodeName(node), kubeconfig, namespace, logDir, extraOptions);
    }

    /** As {@link #start}, with NODE_NAME set to {@code nodeName}, or unset when it is null. */
    public static AgentProcess start(
            CorosyncCluster cluster,
            int node,
            String nodeName,
            Path kubeconfig,
            String namespace,
            Path logDir,
            String... extraOptions)
            throws IOException {
        return launch(
                cluster, node, nodeName, null, List.of("KUBECONFIG=" + kubeconfig), namespace, logDir, extraOptions);
    }

    /**
     * As {@link #start}, configured as in a pod: fabric8 finds the API server and the service
     * account's token and CA from {@code inCluster} (see {@link KubeApiServer#inClusterEnvironment}).
     */
    public static AgentProcess startInCluster(
            CorosyncCluster cluster, int node, List<String> inCluster, String namespace, Path logDir)
            throws IOException {
        return launch(cluster, node, cluster.nodeName(node), null, inCluster, namespace, logDir);
    }

    /** As {@link #start}, as the given user and group id (the hardened mode), not as root. */
    public static AgentProcess startAs(
            int uid,
            CorosyncCluster cluster,
            int node,
            Path kubeconfig,
            String namespace,
            Path logDir,
            String... extraOptions)
            throws IOException {
        return launch(
                cluster,
                node,
                cluster.nodeName(node),
                uid,
                List.of("KUBECONFIG=" + kubeconfig),
                namespace,
                logDir,
                extraOptions);
    }

    private static AgentProcess launch(
            CorosyncCluster cluster,
            int node,
            String nodeName,
            Integer uid,
            List<String> apiAccess,
            String namespace,
            Path logDir,
            String... extraOptions)
            throws IOException {
        Files.createDirectories(logDir);
        Path log = logDir.resolve("agent-node" + node + "-" + System.nanoTime() + ".log");
        List<String> command = new ArrayList<>();
        if (uid != null) {
            command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
        }
        command.add("env");
        if (nodeName != null) {
            command.add("NODE_NAME=" + nodeName);
        }
        command.addAll(ENVIRONMENT);
        command.addAll(apiAccess);
        command.addAll(List.of("POD_NAMESPACE=" + namespace, JAVA));
        command.addAll(JVM_OPTIONS);
        String extra = System.getProperty("agent.jvmExtra", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        if (List.of(extraOptions).stream().noneMatch(o -> o.startsWith(WATCHDOG_OPTION))) {
            // Never the host's /dev/watchdog: a test that turns self-fencing on must not reset the machine.
            command.add(WATCHDOG_OPTION + logDir.toAbsolutePath().resolve("no-watchdog-node" + node));
        }
        if (List.of(extraOptions).stream().noneMatch(o -> o.startsWith(SELF_FENCE_OPTION))) {
            // Never the default reboot through /proc/sysrq-trigger: it would reset the test machine.
            command.add(SELF_FENCE_OPTION + "/bin/false");
        }
        command.addAll(List.of(extraOptions));
        command.addAll(List.of("-jar", JAR.toString(), "agent"));
        return new AgentProcess(node, log, cluster.start(node, log, command));
    }

    /** Writes a kubeconfig that reaches the API server from inside the nodes' namespaces. */
    public static Path kubeconfigForNodes(KubeApiServer api, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("kubeconfig-nodes.yaml");
        Files.writeString(file, api.kubeconfigVia(CorosyncCluster.HOST_ADDRESS));
        return file;
    }

    public int node() {
        return node;
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    public boolean alive() {
        return process.isAlive();
    }

    /**
     * The agent's JVM, for measuring its memory and CPU: the started process itself once the node's
     * wrappers have each replaced themselves with the next, or one below it.
     */
    public ProcessHandle jvm() {
        return Stream.concat(Stream.of(process.toHandle()), process.descendants())
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no agent JVM at or below " + process.pid()));
    }

    /** Kills the agent's JVM outright (SIGKILL), as a crashed pod. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** Stops the agent with SIGTERM, as Kubernetes stops a pod. */
    @Override
    public void close() {
        CorosyncCluster.stop(process);
    }
}
