package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.testenv.RealNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kubernetes alone vs votequorum-operator on real nodes (a benchmark, not a test; {@code make bench}).
 * One environment, two cuts of node 3, each with a one-replica Deployment whose pod runs there:
 * first with no operator and no policy, at kube-controller-manager's defaults (node-monitor-grace-period
 * 50 s, the unreachable taint's default tolerationSeconds 300 s); then with the chart installed and a
 * policy in Enforce mode at its default timings (lease 10 s, evictAfter 10 s). Prints, and writes to
 * target/benchmarks/real-nodes.txt, when each step came after the cut (polled every 0.5 s).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNodesBaselineBenchmark {

    private static final Path REPO = Path.of(System.getProperty("votequorum.repo", ".")).toAbsolutePath();
    private static final String SYSTEM = "votequorum-system";
    private static final int LOST = 3;
    private static RealNodes nodes;
    private static KubernetesClient client;
    private static final List<String> lines = new ArrayList<>();

    @BeforeAll
    static void start() {
        nodes = RealNodes.start(3);
        client = nodes.client();
    }

    @AfterAll
    static void stop() throws Exception {
        lines.forEach(System.out::println);
        Path out = REPO.resolve("target/benchmarks/real-nodes.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, lines);
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    @Order(1)
    void kubernetesAlone() {
        String ns = "alone";
        deploymentOnLostNode(ns);
        Map<String, Double> seen = cutAndWatch(ns, Duration.ofSeconds(420));
        lines.add("Kubernetes alone (no operator, no policy), after the cut of node3: " + seen);
        assertThat(seen).containsKey("replacement Ready elsewhere");
        nodes.heal(LOST);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> nodes.ready(LOST)
                && taints(LOST).stream().noneMatch(t -> t.getKey().startsWith("node.kubernetes.io/unreachable")));
    }

    @Test
    @Order(2)
    void withTheOperatorAtDefaultTimings() throws Exception {
        nodes.installProduct(SYSTEM, "--set-string", "operator.nodeSelector.kubernetes\\.io/hostname=node1");
        String ns = "fenced";
        deploymentOnLostNode(ns);
        apply("""
                apiVersion: votequorum.io/v1alpha1
                kind: VoteQuorumPolicy
                metadata: {name: vqreal}
                spec:
                  clusterName: vqreal
                  fencing: {mode: Enforce}
                """);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(
                nodes.kubectl("get", "vqp", "vqreal", "-o", "jsonpath={.status.conditions[?(@.type==\"Quorate\")].status}")
                        .output()).isEqualTo("True"));
        Map<String, Double> seen = cutAndWatch(ns, Duration.ofSeconds(150));
        lines.add("votequorum-operator (chart defaults, policy Enforce with default timings), after the cut of node3: "
                + seen);
        assertThat(seen).containsKey("replacement Ready elsewhere");
    }

    /** A one-replica Deployment in namespace NS whose pod runs on node3 (node1 and node2 cordoned meanwhile). */
    private static void deploymentOnLostNode(String ns) {
        cordon(1, true);
        cordon(2, true);
        apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: %1$s}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: app, namespace: %1$s}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: app}}
                  template:
                    metadata: {labels: {app: app}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers:
                        - {name: app, image: vq.local/busybox:1, imagePullPolicy: Never, command: [sleep, "86400"]}
                """.formatted(ns));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(
                pods(ns)).hasSize(1).allMatch(RealNodesBaselineBenchmark::ready).allMatch(p -> on(p, LOST)));
        cordon(1, false);
        cordon(2, false);
    }

    /** Cuts node3 and records the first time each step is seen, until the replacement is Ready or LIMIT. */
    private static Map<String, Double> cutAndWatch(String ns, Duration limit) {
        String original = pods(ns).get(0).getMetadata().getName();
        Map<String, Double> seen = new LinkedHashMap<>();
        long cut = System.nanoTime();
        nodes.cut(LOST);
        long deadline = cut + limit.toNanos();
        while (System.nanoTime() < deadline && !seen.containsKey("replacement Ready elsewhere")) {
            double t = Math.round((System.nanoTime() - cut) / 1e8) / 10.0;
            Node node = nodes.node(LOST);
            if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
                seen.putIfAbsent("cordoned", t);
            }
            for (Taint taint : taints(LOST)) {
                seen.putIfAbsent("taint " + taint.getKey() + ":" + taint.getEffect(), t);
            }
            if (!nodes.ready(LOST)) {
                seen.putIfAbsent("node NotReady", t);
            }
            for (Pod pod : pods(ns)) {
                boolean old = original.equals(pod.getMetadata().getName());
                if (old && !ready(pod)) {
                    seen.putIfAbsent("pod on node3 marked not Ready", t);
                }
                if (old && pod.getMetadata().getDeletionTimestamp() != null) {
                    seen.putIfAbsent("pod on node3 evicted (deletionTimestamp)", t);
                }
                if (!old && !on(pod, LOST)) {
                    seen.putIfAbsent("replacement created", t);
                    if (ready(pod)) {
                        seen.putIfAbsent("replacement Ready elsewhere", t);
                    }
                }
            }
            sleep(500);
        }
        System.out.println("RealNodesBaselineBenchmark " + ns + ": " + seen);
        return seen;
    }

    private static List<Pod> pods(String ns) {
        return client.pods().inNamespace(ns).list().getItems();
    }

    private static List<Taint> taints(int node) {
        return Optional.ofNullable(nodes.node(node).getSpec().getTaints()).orElse(List.of());
    }

    private static boolean on(Pod pod, int node) {
        return nodes.nodeName(node).equals(pod.getSpec().getNodeName());
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions()
                .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static void cordon(int node, boolean on) {
        client.nodes().withName(nodes.nodeName(node)).edit(n -> {
            n.getSpec().setUnschedulable(on ? true : null);
            return n;
        });
    }

    private static void apply(String yaml) {
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
    }

    private static void ok(RealNodes.Result result) {
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
