package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.votequorum.model.QuorumStatus;
import io.votequorum.testenv.AgentProcess;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.KubeApiServer;
import io.votequorum.testenv.ProcessStats;
import io.votequorum.testenv.PrometheusText;
import io.votequorum.testenv.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Not a test: prints the agent's callback-to-status-visible latency over real partitions, and its
 * memory and CPU while nothing changes. Run with {@code make bench}.
 */
class AgentBenchmark {

    private static final int CYCLES = Integer.getInteger("bench.cycles", 10);
    private static final Duration IDLE = Duration.ofSeconds(Long.getLong("bench.agentIdleSeconds", 300));
    private static final Path LOGS = Path.of("target", "agent-bench");
    private static final Pattern LISTENING = Pattern.compile("^(\\S+ \\S+) .*Listening on");
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
    private static final Pattern TRANSITION =
            Pattern.compile("transition node=(\\S+) quorate=\\S+ ring=(\\S+) .* callback=(\\S+)");

    @Test
    void callbackToVisibleAndIdleFootprint() throws Exception {
        try (KubeApiServer api = KubeApiServer.start().withCrds();
                CorosyncCluster cluster =
                        CorosyncCluster.builder().nodes(3).clusterName("bench").start()) {
            KubernetesClient client = api.client();
            client.resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(AgentIT.NAMESPACE)
                            .endMetadata()
                            .build())
                    .create();
            // As in a pod: a service account's token and CA, no kubeconfig (fabric8 parses one with a
            // serialization that loads every kind on the class path). bench.agentAccess=kubeconfig
            // measures the agent started with a kubeconfig instead. The account is bound to
            // cluster-admin: this measures memory and latency, DeployIT the agent's permissions.
            boolean inCluster = !"kubeconfig".equals(System.getProperty("bench.agentAccess", "in-cluster"));
            Path kubeconfig = AgentProcess.kubeconfigForNodes(api, LOGS);
            List<String> podAccess = inCluster ? podAccess(api, client) : List.of();
            List<AgentProcess> agents = new ArrayList<>();
            Map<String, Instant> visible = new ConcurrentHashMap<>();
            SharedIndexInformer<QuorumStatus> watch = client.resources(QuorumStatus.class)
                    .inform(new ResourceEventHandler<>() {
                        @Override
                        public void onAdd(QuorumStatus qs) {
                            seen(qs);
                        }

                        @Override
                        public void onUpdate(QuorumStatus old, QuorumStatus qs) {
                            seen(qs);
                        }

                        @Override
                        public void onDelete(QuorumStatus qs, boolean unknown) {}

                        private void seen(QuorumStatus qs) {
                            if (qs.getStatus() != null && qs.getStatus().getRingId() != null) {
                                visible.putIfAbsent(
                                        qs.getMetadata().getName() + " "
                                                + qs.getStatus().getRingId(),
                                        Instant.now());
                            }
                        }
                    });
            try {
                for (int node = 1; node <= 3; node++) {
                    agents.add(
                            inCluster
                                    ? AgentProcess.startInCluster(cluster, node, podAccess, AgentIT.NAMESPACE, LOGS)
                                    : AgentProcess.start(cluster, node, kubeconfig, AgentIT.NAMESPACE, LOGS));
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> visible.size() >= 3);
                for (int i = 0; i < CYCLES; i++) {
                    int before = visible.size();
                    cluster.isolate(3, 1);
                    cluster.isolate(3, 2);
                    await().atMost(Duration.ofSeconds(30)).until(() -> visible.size() >= before + 3);
                    cluster.heal(3);
                    await().atMost(Duration.ofSeconds(30)).until(() -> visible.size() >= before + 6);
                }

                List<Double> latencies = new ArrayList<>();
                for (AgentProcess agent : agents) {
                    for (String line : agent.log().lines().toList()) {
                        Matcher m = TRANSITION.matcher(line);
                        if (m.find() && !m.group(2).equals("-")) {
                            Instant seen = visible.get(m.group(1) + " " + m.group(2));
                            if (seen != null) {
                                latencies.add(Duration.between(Instant.parse(m.group(3)), seen)
                                                .toNanos()
                                        / 1e6);
                            }
                        }
                    }
                }
                assertThat(latencies).hasSizeGreaterThanOrEqualTo(6 * CYCLES);

                StringBuilder own = new StringBuilder();
                for (int node = 1; node <= 3; node++) {
                    String metrics = cluster.exec(
                                    node, "curl", "-s", "--max-time", "5", "http://127.0.0.1:8080/q/metrics")
                            .output();
                    double sum = PrometheusText.sum(metrics, "votequorum_status_write_latency_seconds_sum");
                    double count = PrometheusText.sum(metrics, "votequorum_status_write_latency_seconds_count");
                    double max = PrometheusText.sum(metrics, "votequorum_status_write_latency_seconds_max");
                    double classes = PrometheusText.sum(metrics, "jvm_classes_loaded_classes");
                    own.append(String.format(
                            Locale.ROOT,
                            "  node%d agent's own callback -> write acknowledged: "
                                    + "mean %.1f ms, max %.1f ms over %.0f writes; %.0f classes loaded%n",
                            node,
                            1000 * sum / count,
                            1000 * max,
                            count,
                            classes));
                }
                Thread.sleep(10_000); // settle before the idle window
                List<ProcessStats> start =
                        agents.stream().map(a -> ProcessStats.of(a.jvm())).toList();
                Thread.sleep(IDLE.toMillis());
                List<ProcessStats> end =
                        agents.stream().map(a -> ProcessStats.of(a.jvm())).toList();

                StringBuilder report = new StringBuilder();
                report.append(String.format(
                        Locale.ROOT,
                        "agent callback -> QuorumStatus visible to a watch: %s "
                                + "(%d node transitions, %d partition/heal cycles of 1 node of 3)%n",
                        Samples.summary(latencies),
                        latencies.size(),
                        CYCLES));
                report.append(own);
                report.append("  samples (ms, in order): ")
                        .append(latencies.stream()
                                .map(v -> String.format(Locale.ROOT, "%.0f", v))
                                .collect(Collectors.joining(" ")))
                        .append('\n');
                for (AgentProcess agent : agents) {
                    Instant began = agent.jvm().info().startInstant().orElseThrow();
                    agent.log()
                            .lines()
                            .map(LISTENING::matcher)
                            .filter(Matcher::find)
                            .findFirst()
                            .ifPresent(m -> report.append(String.format(
                                    Locale.ROOT,
                                    "agent node%d: process start to serving health: %d ms%n",
                                    agent.node(),
                                    Duration.between(
                                                    began,
                                                    LocalDateTime.parse(m.group(1), LOG_TIME)
                                                            .atZone(ZoneId.systemDefault())
                                                            .toInstant())
                                            .toMillis())));
                }
                for (int i = 0; i < agents.size(); i++) {
                    double cpuSeconds = end.get(i).cpuSecondsSince(start.get(i));
                    report.append(String.format(
                            Locale.ROOT,
                            "agent node%d idle %d s: RSS %.1f MiB (start of window %.1f MiB; anonymous %.1f, "
                                    + "file %.1f; peak since start %.1f MiB), CPU %.2f s (%.3f%% of one core)%n",
                            i + 1,
                            IDLE.toSeconds(),
                            end.get(i).rssMiB(),
                            start.get(i).rssMiB(),
                            end.get(i).anonKiB() / 1024.0,
                            end.get(i).fileKiB() / 1024.0,
                            end.get(i).peakMiB(),
                            cpuSeconds,
                            100 * cpuSeconds / IDLE.toSeconds()));
                }
                if (Boolean.getBoolean("bench.nmt")) {
                    Process jcmd = new ProcessBuilder(
                                    Path.of(System.getProperty("java.home"), "bin", "jcmd")
                                            .toString(),
                                    String.valueOf(agents.get(0).jvm().pid()),
                                    "VM.native_memory",
                                    "summary")
                            .redirectErrorStream(true)
                            .start();
                    report.append(new String(jcmd.getInputStream().readAllBytes()));
                }
                report.append("agent JVM options: ")
                        .append(String.join(" ", AgentProcess.JVM_OPTIONS))
                        .append(' ')
                        .append(System.getProperty("agent.jvmExtra", ""))
                        .append(", environment ")
                        .append(String.join(" ", AgentProcess.ENVIRONMENT))
                        .append(inCluster ? "; API access as in a pod (service account)" : "; API access by kubeconfig")
                        .append('\n');
                System.out.print(report);
                Path out = Path.of("target", "benchmarks", "agent.txt");
                Files.createDirectories(out.getParent());
                Files.writeString(out, report.toString());
            } finally {
                watch.close();
                agents.forEach(AgentProcess::close);
            }
        }
    }

    private static List<String> podAccess(KubeApiServer api, KubernetesClient client) throws Exception {
        String account = "votequorum-agent";
        client.serviceAccounts()
                .inNamespace(AgentIT.NAMESPACE)
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(account)
                        .endMetadata()
                        .build())
                .create();
        client.rbac()
                .clusterRoleBindings()
                .resource(new ClusterRoleBindingBuilder()
                        .withNewMetadata()
                        .withName("agent-benchmark")
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "cluster-admin")
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(account)
                        .withNamespace(AgentIT.NAMESPACE)
                        .endSubject()
                        .build())
                .create();
        String token = client.serviceAccounts()
                .inNamespace(AgentIT.NAMESPACE)
                .withName(account)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(7200L)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
        return api.inClusterEnvironment(CorosyncCluster.HOST_ADDRESS, token, LOGS.resolve("serviceaccount"));
    }
}
