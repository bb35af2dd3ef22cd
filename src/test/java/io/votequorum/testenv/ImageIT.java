package io.votequorum.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.model.FencingHistory;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusStatus;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The container image built by {@code hack/build-image.sh}, run by runc as the agent's DaemonSet pod
 * runs it on node 1 of a real corosync cluster: the node's network namespace (hostNetwork), the
 * host's /dev/shm, the downward-API environment, a service-account token bound by the agent's RBAC,
 * a read-only root file system and no capabilities. The image is rebuilt first when it is missing or
 * older than the jar, so the test always runs the code under test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageIT {

    private static final String NAMESPACE = "votequorum-system";
    private static final String SERVICE_ACCOUNT = "votequorum-agent";
    private static final String CLUSTER_NAME = "imageit";
    private static final String CONTAINER = "vq-imageit-agent";
    private static final String ENTRY_POINT = "/opt/votequorum-operator/bin/votequorum-operator";
    private static final String SECRETS = "/var/run/secrets/kubernetes.io/serviceaccount";
    private static final String HTTP_PORT = "9732";
    private static final Duration COMMAND = Duration.ofSeconds(120);
    private static final Duration AGENT_UP = Duration.ofSeconds(120);

    private static final Path REPO = CorosyncCluster.REPO;
    private static final Path IMAGE = REPO.resolve("target/image/oci");
    private static final Path WORK = REPO.resolve("target/image-it");
    private static final Path BUNDLE = WORK.resolve("bundle");
    private static final Path RUNC_ROOT = WORK.resolve("runc");
    private static final Path SECRETS_DIR = WORK.resolve("serviceaccount");
    private static final Path AGENT_LOG = WORK.resolve("agent.log");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static KubeApiServer api;
    private static KubernetesClient client;
    private static CorosyncCluster cluster;

    @BeforeAll
    static void startAgentContainer() throws Exception {
        Files.createDirectories(WORK);
        ProjectImage.buildIfStale();
        installRunc();
        removeContainer();
        deleteTree(BUNDLE);

        api = KubeApiServer.start().withCrds();
        client = api.client();
        grantAgentRole();
        writeServiceAccountFiles();
        cluster = CorosyncCluster.builder().nodes(3).clusterName(CLUSTER_NAME).start();

        Result unpack = run(COMMAND, "umoci", "unpack", "--image", IMAGE + ":" + imageTag(), BUNDLE.toString());
        assertThat(unpack.exitCode()).as("umoci unpack: %s", unpack.output()).isZero();
        writeRuntimeSpec();

        ProcessBuilder runc = new ProcessBuilder(
                        "runc",
                        "--root",
                        RUNC_ROOT.toString(),
                        "run",
                        "--detach",
                        "--bundle",
                        BUNDLE.toString(),
                        CONTAINER)
                .redirectErrorStream(true)
                .redirectOutput(AGENT_LOG.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process process = runc.start();
        assertThat(process.waitFor(COMMAND.toSeconds(), TimeUnit.SECONDS))
                .as("runc run returns once started")
                .isTrue();
        assertThat(process.exitValue())
                .as("runc run: %s", Files.readString(AGENT_LOG))
                .isZero();
    }

    @AfterAll
    static void stopEverything() throws IOException {
        try {
            removeContainer();
            deleteTree(BUNDLE);
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            if (api != null) {
                api.close();
            }
        }
    }

    @Test
    @Order(1)
    void theAgentInTheImageReportsItsNodesQuorumThroughItsServiceAccount() {
        await().atMost(AGENT_UP).untilAsserted(() -> {
            QuorumStatus qs =
                    client.resources(QuorumStatus.class).withName("node1").get();
            assertThat(qs).as("QuorumStatus node1; agent log:\n%s", agentLog()).isNotNull();
            QuorumStatusStatus status = qs.getStatus();
            assertThat(status.getQuorate()).as("quorate").isTrue();
            assertThat(status.getNodeId()).as("nodeId").isEqualTo(1L);
            assertThat(status.getClusterName()).isEqualTo(CLUSTER_NAME);
            assertThat(status.getMemberCount()).as("members").isEqualTo(3);
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Lease lease =
                    client.leases().inNamespace(NAMESPACE).withName("node1").get();
            assertThat(lease).as("heartbeat Lease node1").isNotNull();
            assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("node1");
        });
        // Served in the node's own network namespace, as a hostNetwork pod's probes reach it: corosync and
        // the API server both answer the agent in the container.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String ready = cluster.exec(
                            1, "curl", "-s", "--max-time", "5", "http://127.0.0.1:" + HTTP_PORT + "/q/health/ready")
                    .output();
            JsonNode agentCheck = null;
            for (JsonNode check : JSON.readTree(ready).path("checks")) {
                if (check.path("name").asText().equals("agent")) {
                    agentCheck = check;
                }
            }
            assertThat(agentCheck).as("the agent's readiness check: %s", ready).isNotNull();
            assertThat(agentCheck.path("status").asText())
                    .as("the agent's readiness: %s", ready)
                    .isEqualTo("UP");
            assertThat(JSON.readTree(ready).path("status").asText())
                    .as("the pod's readiness: %s", ready)
                    .isEqualTo("UP");
        });
    }

    @Test
    @Order(2)
    void theEntryPointGivesTheAgentItsFootprintSettingsAsRootWithoutCapabilities() throws Exception {
        Result cmdline = runcExec("cat", "/proc/1/cmdline");
        assertThat(cmdline.exitCode()).as(cmdline.output()).isZero();
        List<String> jvm = List.of(cmdline.output().split("\0"));
        assertThat(jvm)
                .as("PID 1 is the JVM the entry point started")
                .containsSubsequence("-jar", "/opt/votequorum-operator/quarkus-run.jar", "agent")
                .containsAll(AgentProcess.JVM_OPTIONS);
        Result environ = runcExec("cat", "/proc/1/environ");
        assertThat(environ.output().split("\0")).contains("MALLOC_ARENA_MAX=2");
        Result proc = runcExec("grep", "-E", "^(Uid|CapEff|CapPrm|NoNewPrivs):", "/proc/1/status");
        assertThat(proc.output())
                .containsPattern("Uid:\\s+0\\s")
                .containsPattern("CapEff:\\s+0+\\n")
                .containsPattern("CapPrm:\\s+0+\\n")
                .containsPattern("NoNewPrivs:\\s+1");
        Result write = runcExec("touch", "/opt/votequorum-operator/written");
        assertThat(write.exitCode())
                .as("the root file system is read-only: %s", write.output())
                .isNotZero();
    }

    @Test
    @Order(3)
    void statusInTheSameContainerPrintsTheNodesQuorum() {
        Result status = runcExec(ENTRY_POINT, "status");
        assertThat(status.exitCode())
                .as("status exit code (0 = quorate): %s", status.output())
                .isZero();
        QuorumToolOutput printed = QuorumToolOutput.parse(status.output());
        QuorumToolOutput reference = QuorumToolOutput.parse(cluster.quorumtool(1));
        assertThat(printed.field("Quorate")).isEqualTo("Yes");
        assertThat(printed.number("Node ID")).isEqualTo(1);
        assertThat(printed.field("Ring ID")).isEqualTo(reference.field("Ring ID"));
        assertThat(printed.number("Nodes")).isEqualTo(3);
        assertThat(printed.number("Expected votes")).isEqualTo(reference.number("Expected votes"));
        assertThat(printed.number("Total votes")).isEqualTo(reference.number("Total votes"));
        assertThat(printed.number("Quorum")).isEqualTo(reference.number("Quorum"));
    }

    @Test
    @Order(4)
    void theAgentInTheImageReadsPacemakersFencingHistoryAsRootWithoutCapabilities() {
        CorosyncCluster.Result up = cluster.pacemaker("up");
        assertThat(up.exitCode()).as("pacemaker.sh up:\n%s", up.output()).isZero();
        cluster.cut(3);
        await().atMost(AGENT_UP).untilAsserted(() -> {
            FencingHistory history = client.resources(QuorumStatus.class)
                    .withName("node1")
                    .get()
                    .getStatus()
                    .getFencingHistory();
            assertThat(history)
                    .as("node1's fencing history; agent log:\n%s", agentLog())
                    .isNotNull();
            assertThat(history.message())
                    .as("read through the image's libstonithd")
                    .isNull();
            assertThat(history.fenced()).singleElement().satisfies(f -> {
                assertThat(f.node()).isEqualTo("node3");
                assertThat(f.nodeId()).isEqualTo(3L);
                assertThat(f.action()).isEqualTo("reboot");
            });
        });
    }

    /** runc is Debian's, installed as the corosync fixture installs corosync. */
    private static void installRunc() {
        if (run(COMMAND, "sh", "-c", "command -v runc").exitCode() == 0) {
            return;
        }
        Result install = run(
                Duration.ofMinutes(5),
                "sh",
                "-c",
                "apt-get install -y -qq --no-install-recommends runc "
                        + "|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends runc; }");
        assertThat(install.exitCode())
                .as("runc is needed to run the image: apt-get install runc\n%s", install.output())
                .isZero();
    }

    /** The agent's ServiceAccount with the RBAC the chart gives it (templates/agent-rbac.yaml). */
    private static void grantAgentRole() {
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        client.resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(SERVICE_ACCOUNT)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        client.resource(new ClusterRoleBuilder()
                        .withNewMetadata()
                        .withName(SERVICE_ACCOUNT)
                        .endMetadata()
                        .addToRules(new PolicyRuleBuilder()
                                .withApiGroups("votequorum.io")
                                .withResources("quorumstatuses")
                                .withVerbs("get", "list", "watch", "create", "patch")
                                .build())
                        .addToRules(new PolicyRuleBuilder()
                                .withApiGroups("votequorum.io")
                                .withResources("quorumstatuses/status")
                                .withVerbs("get", "patch")
                                .build())
                        .addToRules(new PolicyRuleBuilder()
                                .withApiGroups("")
                                .withResources("nodes")
                                .withVerbs("get", "list")
                                .build())
                        .build())
                .create();
        client.resource(new ClusterRoleBindingBuilder()
                        .withNewMetadata()
                        .withName(SERVICE_ACCOUNT)
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", SERVICE_ACCOUNT)
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(SERVICE_ACCOUNT)
                        .withNamespace(NAMESPACE)
                        .endSubject()
                        .build())
                .create();
        client.resource(new RoleBuilder()
                        .withNewMetadata()
                        .withName(SERVICE_ACCOUNT)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .addToRules(new PolicyRuleBuilder()
                                .withApiGroups("coordination.k8s.io")
                                .withResources("leases")
                                .withVerbs("get", "create", "patch")
                                .build())
                        .build())
                .create();
        client.resource(new RoleBindingBuilder()
                        .withNewMetadata()
                        .withName(SERVICE_ACCOUNT)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "Role", SERVICE_ACCOUNT)
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(SERVICE_ACCOUNT)
                        .withNamespace(NAMESPACE)
                        .endSubject()
                        .build())
                .create();
    }

    /** What the kubelet mounts at {@value #SECRETS}: a TokenRequest token, the API server's CA, the namespace. */
    private static void writeServiceAccountFiles() throws IOException {
        String token = client.serviceAccounts()
                .inNamespace(NAMESPACE)
                .withName(SERVICE_ACCOUNT)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
        Config admin = Config.fromKubeconfig(api.kubeconfig());
        Files.createDirectories(SECRETS_DIR);
        Files.writeString(SECRETS_DIR.resolve("token"), token);
        if (admin.getCaCertData() != null) {
            Files.write(SECRETS_DIR.resolve("ca.crt"), Base64.getDecoder().decode(admin.getCaCertData()));
        } else {
            Files.copy(
                    Path.of(admin.getCaCertFile()), SECRETS_DIR.resolve("ca.crt"), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(SECRETS_DIR.resolve("namespace"), NAMESPACE);
    }

    private static String apiServerPort() {
        return String.valueOf(URI.create(Config.fromKubeconfig(api.kubeconfig()).getMasterUrl())
                .getPort());
    }

    private static String imageTag() throws IOException {
        JsonNode index = JSON.readTree(IMAGE.resolve("index.json").toFile());
        return index.at("/manifests/0/annotations/org.opencontainers.image.ref.name")
                .asText();
    }

    /**
     * umoci's runtime spec, changed to what the DaemonSet asks of the kubelet: hostNetwork (node 1's
     * namespace, and its UTS namespace and /etc/hosts), the host's /dev/shm, an emptyDir at /tmp,
     * the service-account files, a read-only root file system, no capabilities, no new privileges.
     */
    private static void writeRuntimeSpec() throws IOException {
        Path file = BUNDLE.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(file.toFile());

        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        ArrayNode args = process.putArray("args");
        args.add(ENTRY_POINT).add("agent");
        ArrayNode env = (ArrayNode) process.get("env");
        for (String variable : List.of(
                "NODE_NAME=node1",
                "POD_NAMESPACE=" + NAMESPACE,
                "POD_NAME=votequorum-agent-imageit",
                "QUARKUS_HTTP_PORT=" + HTTP_PORT,
                "KUBERNETES_SERVICE_HOST=" + CorosyncCluster.HOST_ADDRESS,
                "KUBERNETES_SERVICE_PORT=" + apiServerPort(),
                // Never the host's watchdog nor the SysRq reboot: either would reset the test machine.
                "JAVA_OPTS_APPEND=" + AgentProcess.WATCHDOG_OPTION + "/nonexistent/watchdog "
                        + AgentProcess.SELF_FENCE_OPTION + "/bin/false")) {
            env.add(variable);
        }
        ObjectNode user = process.putObject("user");
        user.put("uid", 0).put("gid", 0);
        ObjectNode capabilities = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "inheritable", "permitted", "ambient")) {
            capabilities.putArray(set);
        }
        process.put("noNewPrivileges", true);
        process.remove("apparmorProfile");

        ((ObjectNode) spec.get("root")).put("readonly", true);
        spec.remove("hostname");

        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        for (int i = mounts.size() - 1; i >= 0; i--) {
            String destination = mounts.get(i).path("destination").asText();
            if (List.of("/dev/shm", "/tmp", "/etc/hosts", "/etc/resolv.conf", SECRETS)
                    .contains(destination)) {
                mounts.remove(i);
            }
        }
        Path node = Path.of(System.getenv().getOrDefault("VQ_CLUSTER_DIR", "/tmp/vq-corosync"), "node1", "etc");
        bind(mounts, "/dev/shm", Path.of("/dev/shm"), false);
        bind(mounts, "/etc/hosts", node.resolve("hosts"), true);
        bind(mounts, "/etc/resolv.conf", node.resolve("resolv.conf"), true);
        bind(mounts, SECRETS, SECRETS_DIR, true);
        ObjectNode tmp = mounts.addObject();
        tmp.put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs");
        tmp.putArray("options").add("nosuid").add("nodev").add("mode=1777").add("size=64m");

        ObjectNode linux = (ObjectNode) spec.get("linux");
        ArrayNode namespaces = linux.putArray("namespaces");
        namespaces.addObject().put("type", "pid");
        namespaces.addObject().put("type", "ipc");
        namespaces.addObject().put("type", "mount");
        namespaces.addObject().put("type", "network").put("path", "/run/netns/" + cluster.namespace(1));
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(spec));
    }

    private static void bind(ArrayNode mounts, String destination, Path source, boolean readOnly) {
        ObjectNode mount = mounts.addObject();
        mount.put("destination", destination)
                .put("type", "bind")
                .put("source", source.toAbsolutePath().toString());
        ArrayNode options = mount.putArray("options").add("rbind").add("nosuid").add("nodev");
        options.add(readOnly ? "ro" : "rw");
    }

    private static Result runcExec(String... command) {
        List<String> full = new ArrayList<>(List.of("runc", "--root", RUNC_ROOT.toString(), "exec", CONTAINER));
        full.addAll(List.of(command));
        return run(COMMAND, full.toArray(String[]::new));
    }

    /** Stops the agent as the kubelet does (SIGTERM, then SIGKILL) and removes the container. */
    private static void removeContainer() {
        if (!Files.isDirectory(RUNC_ROOT.resolve(CONTAINER))) {
            return;
        }
        run(COMMAND, "runc", "--root", RUNC_ROOT.toString(), "kill", CONTAINER, "TERM");
        try {
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> run(COMMAND, "runc", "--root", RUNC_ROOT.toString(), "state", CONTAINER)
                            .output()
                            .contains("\"stopped\""));
        } catch (RuntimeException e) {
            run(COMMAND, "runc", "--root", RUNC_ROOT.toString(), "kill", CONTAINER, "KILL");
        }
        Result delete = run(COMMAND, "runc", "--root", RUNC_ROOT.toString(), "delete", "--force", CONTAINER);
        assertThat(delete.exitCode())
                .as("runc delete %s: %s", CONTAINER, delete.output())
                .isZero();
    }

    private static String agentLog() {
        try {
            String log = Files.readString(AGENT_LOG);
            return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Result run(Duration timeout, String... command) {
        try {
            Path out = Files.createTempFile(WORK, "command", ".out");
            try {
                return run(timeout, out, command);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command), e);
        }
    }

    private static Result run(Duration timeout, Path out, String... command) {
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeout);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }

    private record Result(int exitCode, String output) {}
}
