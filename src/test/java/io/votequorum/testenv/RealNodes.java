package io.votequorum.testenv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Real Kubernetes nodes on this machine, driven through {@code hack/real-nodes.sh}: a control plane
 * on the host (etcd, kube-apiserver with Node and RBAC authorization and NodeRestriction,
 * kube-controller-manager, kube-scheduler) and N nodes, each a network namespace holding corosync, a
 * containerd and a kubelet registered as {@code nodeI} with InternalIP {@code 10.78.0.I}. The
 * sandbox image, a busybox image ({@link #BUSYBOX_IMAGE}) and the project's image (when
 * {@code target/image/votequorum-operator.tar} exists) are imported into every node; pods that use
 * them need {@code imagePullPolicy: Never}. Close it to stop every process and remove everything
 * it made.
 */
public final class RealNodes implements AutoCloseable {

    static final Path SCRIPT = CorosyncCluster.REPO.resolve("hack/real-nodes.sh");
    /** Where the script keeps its state; every process it starts names it on its command line. */
    public static final Path STATE = Path.of(System.getenv().getOrDefault("VQ_NODES_DIR", "/tmp/vq-real-nodes"));
    /** The host's address on the nodes' bridge, where the API server listens for the kubelets. */
    public static final String HOST_ADDRESS = "10.78.0.254";

    public static final String BUSYBOX_IMAGE = "vq.local/busybox:1";
    private static final Duration UP = Duration.ofMinutes(6);
    private static final Duration COMMAND = Duration.ofSeconds(150);

    private final int size;
    private final Map<String, String> env;
    private final KubernetesClient client;
    private boolean closed;

    private RealNodes(int size, Map<String, String> env) {
        this.size = size;
        this.env = env;
        this.client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(read(kubeconfig())))
                .build();
    }

    /** Removes whatever an earlier run left, starts the control plane and N nodes, and waits until all are Ready. */
    public static RealNodes start(int nodes) {
        ProjectImage.buildIfStale(); // before up, which imports it into every node
        Map<String, String> env = new HashMap<>();
        env.put("VQ_K8S_BIN", KubeApiServer.Binaries.locate().dir().toString());
        env.put("VQ_NODES_DIR", STATE.toString());
        Result down = script(env, COMMAND, "down");
        if (down.exitCode() != 0) {
            throw new IllegalStateException("real-nodes.sh down failed:\n" + down.output());
        }
        Result up = script(env, UP, "up", String.valueOf(nodes));
        if (up.exitCode() != 0) {
            script(env, COMMAND, "down");
            throw new IllegalStateException(
                    "real-nodes.sh up " + nodes + " failed (" + up.exitCode() + "):\n" + up.output());
        }
        System.out.print(up.output());
        try {
            return new RealNodes(nodes, Map.copyOf(env));
        } catch (RuntimeException e) {
            script(env, COMMAND, "down");
            throw e;
        }
    }

    public int size() {
        return size;
    }

    public KubernetesClient client() {
        return client;
    }

    /** The admin kubeconfig (system:masters), certificates embedded. */
    public Path kubeconfig() {
        return STATE.resolve("admin.kubeconfig");
    }

    /** The API server's audit log: metadata of every write, one JSON document per line. */
    public Path auditLog() {
        return STATE.resolve("cp/audit.log");
    }

    /** An eviction request the API server answered, from its audit log. */
    public record Eviction(String namespace, String pod, int code, Instant at) {
        public boolean accepted() {
            return code == 200 || code == 201;
        }
    }

    /** Every eviction request in {@code namespace} the API server has answered, oldest first. */
    public List<Eviction> evictions(String namespace) {
        ObjectMapper json = new ObjectMapper();
        List<Eviction> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(auditLog(), StandardCharsets.UTF_8)) {
                if (!line.contains("\"eviction\"")) {
                    continue;
                }
                JsonNode e = json.readTree(line);
                if ("ResponseComplete".equals(e.path("stage").asText())
                        && "eviction".equals(e.at("/objectRef/subresource").asText())
                        && namespace.equals(e.at("/objectRef/namespace").asText())) {
                    found.add(new Eviction(
                            namespace,
                            e.at("/objectRef/name").asText(),
                            e.at("/responseStatus/code").asInt(),
                            Instant.parse(e.path("stageTimestamp").asText())));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + auditLog(), e);
        }
        return found;
    }

    /**
     * Copies every node's logs (corosync, containerd, kubelet, and its pods' logs) and the control
     * plane's into {@code target}, for a look after the run; the state directory goes with {@link #close}.
     */
    public void saveLogs(Path target) {
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 1; i <= size; i++) {
            for (String dir : List.of("log", "pods-logs")) {
                Path from = STATE.resolve("node" + i).resolve(dir);
                if (Files.isDirectory(from)) {
                    command(
                            COMMAND,
                            "cp",
                            "-r",
                            from.toString(),
                            target.resolve("node" + i + "-" + dir).toString());
                }
            }
        }
        command(COMMAND, "sh", "-c", "cp " + STATE.resolve("cp") + "/*.log " + target + "/");
    }

    /** The logs of node I: kubelet.log, containerd.log, corosync.log. */
    public Path logDir(int node) {
        return STATE.resolve("node" + node + "/log");
    }

    /** The memberships every node's corosync formed since {@code from}, each node's oldest first. */
    public List<CorosyncLog.Membership> memberships(Instant from) {
        List<CorosyncLog.Membership> all = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            all.addAll(CorosyncLog.memberships(logDir(i).resolve("corosync.log"), i, from));
        }
        return all;
    }

    public String nodeName(int node) {
        return "node" + node;
    }

    public String address(int node) {
        return "10.78.0." + node;
    }

    public String namespace(int node) {
        return "vqkn" + node;
    }

    public Node node(int node) {
        return client.nodes().withName(nodeName(node)).get();
    }

    /** Whether Kubernetes has node I's Ready condition True. */
    public boolean ready(int node) {
        Node n = node(node);
        return n != null
                && n.getStatus() != null
                && n.getStatus().getConditions() != null
                && n.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Takes node I off the bridge: corosync and the kubelet lose everything else. */
    public void cut(int node) {
        run("cut", String.valueOf(node));
    }

    /** Puts node I back and removes any drops that involve it. */
    public void heal(int node) {
        run("heal", String.valueOf(node));
    }

    /** Drops the traffic between nodes I and J only. */
    public void isolate(int node, int other) {
        run("isolate", String.valueOf(node), String.valueOf(other));
    }

    public void stopCorosync(int node) {
        run("stop-corosync", String.valueOf(node));
    }

    /** Kills corosync on node I with SIGKILL: a crash, so it sends no leave message. */
    public void killCorosync(int node) {
        run("kill-corosync", String.valueOf(node));
    }

    /** Stops kube-apiserver and starts it again; returns once it is ready. */
    public void restartApiServer() {
        run("restart-apiserver");
    }

    public void startCorosync(int node) {
        run("start-corosync", String.valueOf(node));
    }

    public void stopKubelet(int node) {
        run("stop-kubelet", String.valueOf(node));
    }

    public void startKubelet(int node) {
        run("start-kubelet", String.valueOf(node));
    }

    /** Stops the kubelet, containerd, every pod and corosync of node I, as a powered-off node. */
    public void stopNode(int node) {
        run("stop-node", String.valueOf(node));
    }

    /** Starts node I's corosync, containerd and kubelet again and waits until it is Ready. */
    public void startNode(int node) {
        run("start-node", String.valueOf(node));
    }

    /** Runs a command on node I outside any container: its network namespace, corosync's /run. */
    public Result exec(int node, String... command) {
        List<String> args = new ArrayList<>(List.of("exec", String.valueOf(node)));
        args.addAll(List.of(command));
        return script(env, COMMAND, args.toArray(String[]::new));
    }

    /** kubectl as the cluster's admin. */
    public Result kubectl(String... args) {
        List<String> all = new ArrayList<>(List.of("kubectl"));
        all.addAll(List.of(args));
        return script(env, COMMAND, all.toArray(String[]::new));
    }

    /**
     * votequorum-operator installed as users install it: every node labelled as a corosync node, the
     * namespace at the privileged Pod Security level, the chart from charts/ with the image built here
     * (which {@link #start} builds when stale), and the agents and operators rolled out. {@code helmSets} are more
     * {@code --set}/{@code --set-string} arguments.
     */
    /**
     * The pods of {@code namespace} as each kubelet's summary API reports them: node/pod to {CPU in
     * millicores, memory working set in MiB}.
     */
    public Map<String, double[]> podStats(String namespace) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, double[]> stats = new TreeMap<>();
        for (int i = 1; i <= size; i++) {
            Result raw = kubectl("get", "--raw", "/api/v1/nodes/" + nodeName(i) + "/proxy/stats/summary");
            check(raw);
            for (JsonNode pod : json.readTree(raw.output()).path("pods")) {
                if (!namespace.equals(pod.at("/podRef/namespace").asText())) {
                    continue;
                }
                stats.put(nodeName(i) + "/" + pod.at("/podRef/name").asText(), new double[] {
                    pod.at("/cpu/usageNanoCores").asDouble() / 1e6,
                    pod.at("/memory/workingSetBytes").asDouble() / (1024 * 1024)
                });
            }
        }
        return stats;
    }

    public void installProduct(String namespace, String... helmSets) {
        if (!Files.exists(ProjectImage.ARCHIVE)) {
            throw new IllegalStateException(ProjectImage.ARCHIVE + " is missing: run `make image`");
        }
        for (int i = 1; i <= size; i++) {
            check(kubectl("label", "node", nodeName(i), "votequorum.io/corosync=true", "--overwrite"));
        }
        check(kubectl("create", "namespace", namespace));
        check(kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=privileged"));
        List<String> helm = new ArrayList<>(List.of(
                helm().toString(),
                "install",
                "votequorum",
                CorosyncCluster.REPO.resolve("charts/votequorum-operator").toString(),
                "-n",
                namespace,
                "--set",
                "image.repository=votequorum-operator",
                "--set",
                "image.tag=" + projectVersion(),
                "--set",
                "image.pullPolicy=Never"));
        helm.addAll(List.of(helmSets));
        check(command(Map.of("KUBECONFIG", kubeconfig().toString()), COMMAND, helm));
        check(kubectl("-n", namespace, "rollout", "status", "daemonset/votequorum-agent", "--timeout=180s"));
        check(kubectl("-n", namespace, "rollout", "status", "deployment/votequorum-operator", "--timeout=180s"));
    }

    /** The helm that `make helm` builds, where hack/build-helm.sh keeps it. */
    static Path helm() {
        Result dir = command(
                COMMAND,
                "bash",
                CorosyncCluster.REPO.resolve("hack/build-helm.sh").toString(),
                "--print-dir");
        Path helm = Path.of(dir.output().trim(), "helm");
        if (dir.exitCode() != 0 || !Files.isExecutable(helm)) {
            throw new IllegalStateException(helm + " is missing: run `make helm`");
        }
        return helm;
    }

    /** The project's version from pom.xml: the image's tag. */
    static String projectVersion() {
        Matcher version = Pattern.compile("(?m)^  <version>(.*)</version>")
                .matcher(read(CorosyncCluster.REPO.resolve("pom.xml")));
        if (!version.find()) {
            throw new IllegalStateException("no project version in pom.xml");
        }
        return version.group(1);
    }

    private static void check(Result result) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException("exit code " + result.exitCode() + ":\n" + result.output());
        }
    }

    /** `corosync-quorumtool -s` on node I, outside any container. */
    public String quorumtool(int node) {
        return exec(node, "corosync-quorumtool", "-s").output();
    }

    public boolean quorate(int node) {
        return quorumtool(node).lines().anyMatch(l -> l.matches("Quorate:\\s+Yes"));
    }

    /**
     * What a run leaves behind that it should not: namespaces, links, the state directory, cgroups,
     * and processes naming the state directory. Empty after {@link #close}.
     */
    public static List<String> leftovers() {
        List<String> left = new ArrayList<>();
        Result netns = command(Duration.ofSeconds(30), "ip", "netns", "list");
        netns.output()
                .lines()
                .map(l -> l.split("\\s+")[0])
                .filter(n -> n.matches("vqkn\\d+"))
                .forEach(n -> left.add("network namespace " + n));
        Result links = command(Duration.ofSeconds(30), "ip", "-o", "link", "show");
        links.output()
                .lines()
                .map(l -> l.split(":\\s+")[1].split("@")[0])
                .filter(n -> n.matches("vqkbr0|vqkv\\d+"))
                .forEach(n -> left.add("link " + n));
        if (Files.exists(STATE)) {
            left.add("directory " + STATE);
        }
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            hierarchies.map(h -> h.resolve("vqrealnodes")).filter(Files::exists).forEach(c -> left.add("cgroup " + c));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String state = STATE.toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> cmdline(p.pid()).contains(state))
                .forEach(p ->
                        left.add("process " + p.pid() + " " + cmdline(p.pid()).replace('\0', ' ')));
        return left;
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops everything and removes what the script made (also what an earlier killed run left). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        client.close();
        run("down");
    }

    private void run(String... args) {
        Result result = script(env, COMMAND, args);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("real-nodes.sh " + String.join(" ", args) + " failed (" + result.exitCode()
                    + "):\n" + result.output());
        }
    }

    private static Result script(Map<String, String> env, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        return command(env, timeout, command);
    }

    private static Result command(Duration timeout, String... command) {
        return command(Map.of(), timeout, List.of(command));
    }

    private static Result command(Map<String, String> env, Duration timeout, List<String> command) {
        try {
            Path out = Files.createTempFile("real-nodes", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(out.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().putAll(env);
                Process process = pb.start();
                if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeout + ":\n"
                            + Files.readString(out, StandardCharsets.UTF_8));
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

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public record Result(int exitCode, String output) {}
}
