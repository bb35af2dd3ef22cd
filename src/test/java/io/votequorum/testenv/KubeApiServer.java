package io.votequorum.testenv;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfig;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubeapitest.cert.CertManager;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.GeneralName;

/**
 * A real kube-apiserver and etcd, built from source by {@code hack/build-k8s.sh} and started by
 * fabric8's kube-api-test in offline mode. It listens on every address, so agents inside a corosync
 * node's namespace reach it over the bridge at {@link CorosyncCluster#HOST_ADDRESS}.
 */
public final class KubeApiServer implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(120);
    /** The kubelet's default grace period for a pod, static pods such as kube-apiserver too. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private final Path workDir;
    private final Restartable server;
    private final KubernetesClient client;
    private Process restarted;

    private KubeApiServer(Path workDir, Restartable server) {
        this.workDir = workDir;
        this.server = server;
        this.client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(server.getKubeConfigYaml()))
                .build();
    }

    /** Starts etcd and kube-apiserver with RBAC and the production admission chain, and waits until ready. */
    public static KubeApiServer start(String... extraFlags) {
        Binaries binaries = Binaries.locate();
        try {
            Path workDir = Files.createTempDirectory("vq-kube-api");
            // kube-api-test looks for <dir>/k8s/<version>-linux-amd64/{kube-apiserver,etcd,kubectl}
            Path k8s = Files.createDirectories(workDir.resolve("k8s"));
            Files.createSymbolicLink(k8s.resolve(binaries.version() + "-linux-amd64"), binaries.dir());
            writeCertificates(workDir);

            List<String> flags = new ArrayList<>(List.of(
                    "--bind-address=0.0.0.0",
                    "--advertise-address=" + advertiseAddress(),
                    "--audit-policy-file=" + writeAuditPolicy(workDir),
                    "--audit-log-path=" + workDir.resolve("audit.log"),
                    "--audit-log-format=json"));
            flags.addAll(List.of(extraFlags));

            Restartable server = new Restartable(KubeAPIServerConfigBuilder.anAPIServerConfig()
                    .withTestDir(workDir.toString())
                    .withApiServerVersion(binaries.version())
                    .withOfflineMode(true)
                    .withUpdateKubeConfig(false)
                    .withStartupTimeout((int) STARTUP.toMillis())
                    .withApiServerFlags(flags)
                    .build());
            server.start();
            return new KubeApiServer(workDir, server);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the API server's directory", e);
        }
    }

    public KubernetesClient client() {
        return client;
    }

    /** The kubectl built with the API server. */
    public static Path kubectl() {
        return Binaries.locate().dir().resolve("kubectl");
    }

    /** A kubeconfig for the test's own admin user. */
    public String kubeconfig() {
        return server.getKubeConfigYaml();
    }

    /** The same kubeconfig, addressed at {@code host}, for processes inside a node's namespace. */
    public String kubeconfigVia(String host) {
        return kubeconfig().replace("https://127.0.0.1:", "https://" + host + ":");
    }

    /**
     * A kubeconfig that authenticates with a bearer token, such as a service account's from the
     * TokenRequest API, addressed at {@code host} (127.0.0.1, or the bridge address for the nodes).
     */
    public String kubeconfigWithToken(String host, String token) {
        Config admin = Config.fromKubeconfig(kubeconfig());
        String server = admin.getMasterUrl()
                .replace("https://127.0.0.1:", "https://" + host + ":")
                .replaceAll("/+$", "");
        String ca = Base64.getEncoder().encodeToString(caCertificate(admin));
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: token
                  user:
                    token: %s
                contexts:
                - name: test
                  context: {cluster: test, user: token}
                current-context: test
                """.formatted(server, ca, token);
    }

    /**
     * Writes what a pod's service account mount holds, the token and the API server's CA, into
     * {@code dir}, and returns the environment that points fabric8 at them and at the API server on
     * {@code host}, as KUBERNETES_SERVICE_HOST and _PORT do in a pod. No kubeconfig is read.
     */
    public List<String> inClusterEnvironment(String host, String token, Path dir) throws IOException {
        Config admin = Config.fromKubeconfig(kubeconfig());
        byte[] ca = caCertificate(admin);
        Files.createDirectories(dir);
        Path tokenFile = Files.writeString(dir.resolve("token"), token);
        Path caFile = Files.write(dir.resolve("ca.crt"), ca);
        int port = URI.create(admin.getMasterUrl()).getPort();
        return List.of(
                "KUBERNETES_SERVICE_HOST=" + host,
                "KUBERNETES_SERVICE_PORT=" + port,
                "KUBERNETES_AUTH_TRYKUBECONFIG=false",
                "KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN=" + tokenFile.toAbsolutePath(),
                "KUBERNETES_CERTS_CA_FILE=" + caFile.toAbsolutePath());
    }

    /** The API server's CA certificate (PEM) from the admin kubeconfig, inline or as a file. */
    private static byte[] caCertificate(Config admin) {
        return admin.getCaCertData() != null
                ? Base64.getDecoder().decode(admin.getCaCertData())
                : readCa(admin.getCaCertFile());
    }

    private static byte[] readCa(String file) {
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API server's CA " + file, e);
        }
    }

    private static boolean exited(ProcessHandle process, Duration within) throws InterruptedException {
        try {
            process.onExit().get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    /** The API server's audit log: every request, one JSON document per line. */
    public Path auditLog() {
        return workDir.resolve("audit.log");
    }

    /**
     * The bridge address when the nodes' bridge is up (agents in a node's namespace reach the API
     * server there), else loopback: kube-apiserver does not start advertising an address the host
     * does not have.
     */
    private static String advertiseAddress() {
        try {
            InetAddress bridge = InetAddress.getByName(CorosyncCluster.HOST_ADDRESS);
            return NetworkInterface.getByInetAddress(bridge) != null ? CorosyncCluster.HOST_ADDRESS : "127.0.0.1";
        } catch (IOException e) {
            return "127.0.0.1";
        }
    }

    /**
     * kube-api-test's server, except that a kube-apiserver this fixture stops for a restart does not
     * take etcd down with it (kube-api-test stops everything when its API server exits).
     */
    private static final class Restartable extends KubeAPIServer {
        private volatile boolean restarting;

        Restartable(KubeAPIServerConfig config) {
            super(config);
        }

        @Override
        public void processStopped(Process process) {
            if (!restarting) {
                super.processStopped(process);
            }
        }
    }

    /**
     * Stops kube-apiserver and starts it again with the same command line, port and etcd, as a
     * control-plane restart does, and waits until it is ready. It stays down for {@code down}. The
     * new process is this fixture's (kube-api-test would restart on a new port).
     */
    public void restart(Duration down) throws IOException, InterruptedException {
        ProcessHandle running = restarted != null
                ? restarted.toHandle()
                : ProcessHandle.current()
                        .descendants()
                        .filter(p -> p.info()
                                .command()
                                .map(c -> c.endsWith("/kube-apiserver"))
                                .orElse(false))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException("no kube-apiserver process to restart"));
        List<String> command = new ArrayList<>();
        command.add(running.info().command().orElseThrow());
        command.addAll(List.of(running.info().arguments().orElseThrow()));
        server.restarting = true;
        running.destroy();
        if (!exited(running, STOP_GRACE)) {
            // Without --shutdown-watch-termination-grace-period, kube-apiserver leaves open watches
            // (the agents' and the test's) to run out on their own before it exits, which can take
            // longer (kubernetes/kubernetes#131052). The kubelet ends a static pod that outlives its
            // grace period with SIGKILL; so does this. Printed, so it shows in the test's output.
            System.out.printf(
                    "kube-apiserver (pid %d) still running %d s after SIGTERM: killed%n",
                    running.pid(), STOP_GRACE.toSeconds());
            running.destroyForcibly();
            if (!exited(running, Duration.ofSeconds(10))) {
                throw new IllegalStateException("kube-apiserver (pid " + running.pid() + ") survived SIGKILL");
            }
        }
        Thread.sleep(down.toMillis());
        restarted = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        workDir.resolve("kube-apiserver-restarted.log").toFile()))
                .start();
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if ("ok".equals(client.raw("/readyz"))) {
                    return;
                }
            } catch (RuntimeException e) {
                // not serving yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("kube-apiserver did not become ready after the restart; see "
                + workDir.resolve("kube-apiserver-restarted.log"));
    }

    /** Applies every CRD in crds/ and waits until the API server serves them. */
    public KubeApiServer withCrds() {
        Path dir = CorosyncCluster.REPO.resolve("crds");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                CustomResourceDefinition crd;
                try (InputStream in = Files.newInputStream(file)) {
                    crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
                }
                client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .resource(crd)
                        .serverSideApply();
                client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName(crd.getMetadata().getName())
                        .waitUntilCondition(KubeApiServer::established, 60, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
        return this;
    }

    /** The API server serves the CRD; status and its conditions appear a moment after creation. */
    private static boolean established(CustomResourceDefinition crd) {
        return crd != null
                && crd.getStatus() != null
                && crd.getStatus().getConditions() != null
                && crd.getStatus().getConditions().stream()
                        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    @Override
    public void close() {
        client.close();
        if (restarted != null) {
            restarted.destroy();
            try {
                restarted.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        server.stop();
        try (Stream<Path> walk = Files.walk(workDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Self-signed serving and client certificates, as kube-api-test makes them, but valid for the
     * bridge address too, so agents in a node's namespace can verify the server.
     */
    private static void writeCertificates(Path dir) {
        CertManager.generateKeyAndCertificate(
                "CN=kube-apiserver",
                dir.resolve("apiserver.key").toFile(),
                dir.resolve("apiserver.crt").toFile(),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, CorosyncCluster.HOST_ADDRESS),
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.dNSName, "kubernetes.default.svc"));
        CertManager.generateKeyAndCertificate(
                "O=system:masters,CN=votequorum-test-admin",
                dir.resolve("client.key").toFile(),
                dir.resolve("client.crt").toFile());
    }

    /** Metadata for every request that writes, so tests can count writes as the server saw them. */
    private static Path writeAuditPolicy(Path dir) throws IOException {
        Path policy = dir.resolve("audit-policy.yaml");
        Files.writeString(policy, """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: ["RequestReceived"]
                rules:
                  - level: Metadata
                    verbs: ["create", "update", "patch", "delete", "deletecollection"]
                  - level: None
                """);
        return policy;
    }

    /** Where hack/build-k8s.sh put the binaries, and which Kubernetes version they are. */
    record Binaries(Path dir, String version) {

        static Binaries locate() {
            String configured = System.getProperty("votequorum.k8s.bin", System.getenv("VQ_K8S_BIN"));
            if (configured == null || configured.isBlank()) {
                throw new IllegalStateException("votequorum.k8s.bin is not set: run the tests with `make test`, which "
                        + "builds kube-apiserver and etcd once with hack/build-k8s.sh and passes their directory");
            }
            Path dir = Path.of(configured).toAbsolutePath();
            for (String binary : List.of("kube-apiserver", "etcd", "kubectl")) {
                if (!new File(dir.toFile(), binary).canExecute()) {
                    throw new IllegalStateException(dir.resolve(binary) + " is missing: run hack/build-k8s.sh");
                }
            }
            try {
                String version = Files.readString(dir.getParent().resolve("VERSION"))
                        .trim()
                        .replaceFirst("^v", "");
                return new Binaries(dir, version);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the Kubernetes version next to " + dir, e);
            }
        }
    }
}
