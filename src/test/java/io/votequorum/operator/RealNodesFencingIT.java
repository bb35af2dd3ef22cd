package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.testenv.RealNodes;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fencing ladder's effects that only real nodes show: three nodes (corosync, containerd and a
 * kubelet each) and a full control plane, votequorum-operator installed from its chart with the image
 * built here (as hack/demo.sh does), an Enforce policy, and node 3 cut off. Proves that a budgeted
 * pod is evicted only as far as its PodDisruptionBudget allows and once a replacement is Ready
 * elsewhere (from the API server's audit log); that the NoExecute taint makes kube-controller-manager
 * delete the pods that do not tolerate it and keep the one that does; and that the out-of-service
 * taint, after an administrator's confirmed-off, makes kube-controller-manager delete the lost node's
 * pods so that the StatefulSet's pod starts on a surviving node. Figures are printed, not asserted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNodesFencingIT {

    private static final Path REPO =
            Path.of(System.getProperty("votequorum.repo", ".")).toAbsolutePath();
    private static final String SYSTEM = "votequorum-system";
    private static final String APP = "shop";
    private static final String CLUSTER = "vqreal";
    private static final int LOST = 3;
    private static final String INQUORATE = "votequorum.io/inquorate";
    private static final String OUT_OF_SERVICE = "node.kubernetes.io/out-of-service";

    private static RealNodes nodes;
    private static KubernetesClient client;
    private static Instant cutAt;
    private static final List<String> figures = new ArrayList<>();

    @BeforeAll
    static void install() throws Exception {
        long started = System.nanoTime();
        nodes = RealNodes.start(3);
        client = nodes.client();
        // Both operator replicas on node1, so that the cut of node 3 never takes the leader with it.
        nodes.installProduct(
                SYSTEM,
                "--set",
                "agent.leaseDuration=6s",
                "--set",
                "agent.renewInterval=1s",
                "--set-string",
                "operator.nodeSelector.kubernetes\\.io/hostname=node1");

        // Everything of the application on node 3 first: node1 and node2 cordoned while it starts.
        cordon(1, true);
        cordon(2, true);
        apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers:
                        - {name: web, image: vq.local/busybox:1, imagePullPolicy: Never, command: [sleep, "86400"]}
                ---
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: web, namespace: shop}
                spec:
                  minAvailable: 2
                  selector: {matchLabels: {app: web}}
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: shop}
                spec:
                  serviceName: db
                  replicas: 1
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers:
                        - {name: db, image: vq.local/busybox:1, imagePullPolicy: Never, command: [sleep, "86400"]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: tolerant, namespace: shop, labels: {vq-test/exempt: "true"}}
                spec:
                  terminationGracePeriodSeconds: 1
                  tolerations:
                    - {key: votequorum.io/inquorate, operator: Exists, effect: NoExecute}
                  containers:
                    - {name: c, image: vq.local/busybox:1, imagePullPolicy: Never, command: [sleep, "86400"]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: intolerant, namespace: shop, labels: {vq-test/exempt: "true"}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - {name: c, image: vq.local/busybox:1, imagePullPolicy: Never, command: [sleep, "86400"]}
                """);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    List<Pod> pods = client.pods().inNamespace(APP).list().getItems();
                    assertThat(pods).as("pods").hasSize(5);
                    assertThat(pods)
                            .allMatch(RealNodesFencingIT::ready, "all Ready")
                            .allMatch(p -> on(p, LOST), "all on node3");
                });
        cordon(1, false);
        cordon(2, false);
        // A third replica, on node1 or node2: the budget (2) now allows one disruption, not two.
        client.apps().deployments().inNamespace(APP).withName("web").scale(3);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(web())
                        .filteredOn(RealNodesFencingIT::ready)
                        .hasSize(3)
                        .anyMatch(p -> !on(p, LOST)));

        apply("""
                apiVersion: votequorum.io/v1alpha1
                kind: VoteQuorumPolicy
                metadata: {name: vqreal}
                spec:
                  clusterName: vqreal
                  fencing:
                    mode: Enforce
                    evictAfter: 3s
                    fenceTimeout: 30s
                    healthyDelay: 5s
                    maxFencedNodes: 1
                    confirmedAction: OutOfServiceTaint
                    exemptPods:
                      selector: {matchLabels: {vq-test/exempt: "true"}}
                """);
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(nodes.kubectl(
                                        "get",
                                        "vqp",
                                        CLUSTER,
                                        "-o",
                                        "jsonpath={.status.conditions[?(@.type==\"Quorate\")].status}")
                                .output())
                        .isEqualTo("True"));
        System.out.printf(
                "RealNodesFencingIT: nodes, chart, application and policy ready in %.1f s%n", seconds(started));
    }

    @AfterAll
    static void down() {
        figures.forEach(f -> System.out.println("RealNodesFencingIT figure: " + f));
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    @Order(1)
    void aBudgetedPodIsEvictedOnlyOnceItsReplacementIsReadyElsewhere() throws Exception {
        List<String> onLost = web().stream()
                .filter(p -> on(p, LOST))
                .map(p -> p.getMetadata().getName())
                .toList();
        assertThat(onLost).hasSize(2);
        cutAt = Instant.now();
        nodes.cut(LOST);
        Instant cordoned = null;
        Instant firstReplacementReady = null;
        List<String> before = web().stream().map(p -> p.getMetadata().getName()).toList();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        // Both of node3's web pods evicted (deletionTimestamp set: the cut kubelet cannot finish them).
        while (System.nanoTime() < deadline) {
            Node n = nodes.node(LOST);
            if (cordoned == null && Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
                cordoned = Instant.now();
            }
            List<Pod> pods = web();
            if (firstReplacementReady == null
                    && pods.stream()
                            .anyMatch(p -> !before.contains(p.getMetadata().getName()) && ready(p) && !on(p, LOST))) {
                firstReplacementReady = Instant.now();
            }
            if (pods.stream()
                    .filter(p -> onLost.contains(p.getMetadata().getName()))
                    .allMatch(p -> p.getMetadata().getDeletionTimestamp() != null)) {
                break;
            }
            Thread.sleep(250);
        }
        assertThat(web())
                .filteredOn(p -> onLost.contains(p.getMetadata().getName()))
                .as("node3's web pods evicted within 90 s")
                .allMatch(p -> p.getMetadata().getDeletionTimestamp() != null);

        // The audit log: one of node3's pods evicted at once, the other refused (429) and later accepted.
        List<RealNodes.Eviction> evictions = evictions();
        evictions.forEach(e -> System.out.printf(
                "RealNodesFencingIT: eviction of %s at +%.1f s: %d%n", e.pod(), since(e.at()), e.code()));
        List<RealNodes.Eviction> accepted =
                evictions.stream().filter(RealNodes.Eviction::accepted).toList();
        assertThat(accepted).extracting(RealNodes.Eviction::pod).containsExactlyInAnyOrderElementsOf(onLost);
        RealNodes.Eviction first = accepted.get(0);
        RealNodes.Eviction held = accepted.get(1);
        List<RealNodes.Eviction> refused = evictions.stream()
                .filter(e -> e.code() == 429 && e.pod().equals(held.pod()))
                .toList();
        assertThat(refused).as("refusals of %s", held.pod()).isNotEmpty();
        assertThat(refused.get(0).at()).isBefore(held.at());
        assertThat(evictions.stream().filter(e -> e.pod().equals(first.pod()) && e.code() == 429))
                .as("the first pod was never refused")
                .isEmpty();
        // The replacement's Ready condition, from the API server: it came before the held pod went.
        Instant replacementReady = web().stream()
                .filter(p -> !before.contains(p.getMetadata().getName()))
                .map(RealNodesFencingIT::readySince)
                .flatMap(Optional::stream)
                .min(Instant::compareTo)
                .orElseThrow();
        assertThat(replacementReady)
                .as("first replacement Ready (1 s resolution)")
                .isBefore(held.at().plusSeconds(1));
        assertThat(held.at()).isAfter(first.at());
        figures.add(String.format("node3 cordoned +%.1f s (polled)", cordoned == null ? -1 : since(cordoned)));
        figures.add(String.format(
                "first web pod evicted +%.1f s; %s refused %d times (429) from +%.1f s",
                since(first.at()),
                held.pod(),
                refused.size(),
                since(refused.get(0).at())));
        figures.add(String.format(
                "replacement Ready elsewhere +%.1f s (condition; polled +%.1f s); held pod evicted +%.1f s",
                since(replacementReady),
                firstReplacementReady == null ? -1 : since(firstReplacementReady),
                since(held.at())));
    }

    @Test
    @Order(2)
    void theNoExecuteTaintEvictsThePodsThatDoNotTolerateIt() {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> hasTaint(LOST, INQUORATE, "NoExecute"));
        double tainted = since(Instant.now());
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> pod("intolerant").getMetadata().getDeletionTimestamp() != null);
        double deleted = since(Instant.now());
        assertThat(pod("tolerant").getMetadata().getDeletionTimestamp())
                .as("the tolerating pod is kept")
                .isNull();
        figures.add(String.format(
                "NoExecute taint +%.1f s; intolerant pod deleted by kube-controller-manager +%.1f s; "
                        + "tolerant pod kept; node3 Ready condition still %s",
                tainted, deleted, nodes.ready(LOST)));
    }

    @Test
    @Order(3)
    void theOutOfServiceTaintMovesTheStatefulSetsPodToASurvivingNode() {
        assertThat(pod("db-0").getSpec().getNodeName()).isEqualTo(nodes.nodeName(LOST));
        nodes.stopNode(LOST);
        Instant confirmed = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        ok(nodes.kubectl(
                "annotate", "node", nodes.nodeName(LOST), "votequorum.io/confirmed-off=" + confirmed, "--overwrite"));
        double confirmedAt = since(Instant.now());
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> hasTaint(LOST, OUT_OF_SERVICE, "NoExecute"));
        double outOfService = since(Instant.now());
        Double notReady = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (notReady == null && !nodes.ready(LOST)) {
                notReady = since(Instant.now());
            }
            Pod db = client.pods().inNamespace(APP).withName("db-0").get();
            if (db != null && !on(db, LOST) && ready(db)) {
                break;
            }
            sleep(250);
        }
        Pod db = pod("db-0");
        assertThat(db.getSpec().getNodeName()).as("db-0's node").isNotEqualTo(nodes.nodeName(LOST));
        assertThat(ready(db)).as("db-0 Ready").isTrue();
        double dbMoved = since(Instant.now());
        assertThat(client.pods().inNamespace(APP).list().getItems())
                .as("nothing left on node3")
                .noneMatch(p -> on(p, LOST)
                        && !"tolerant".equals(p.getMetadata().getName())
                        && p.getMetadata().getDeletionTimestamp() == null);
        figures.add(String.format(
                "confirmed-off +%.1f s; out-of-service taint +%.1f s; node3 NotReady (polled) +%s s; "
                        + "db-0 Ready on %s +%.1f s",
                confirmedAt,
                outOfService,
                notReady == null ? "?" : String.format("%.1f", notReady),
                db.getSpec().getNodeName(),
                dbMoved));
        figures.add("node3 taints at the end: "
                + nodes.node(LOST).getSpec().getTaints().stream()
                        .map(t -> t.getKey() + ":" + t.getEffect())
                        .toList());
    }

    private static List<RealNodes.Eviction> evictions() {
        return nodes.evictions(APP).stream()
                .filter(e -> e.pod().startsWith("web-"))
                .toList();
    }

    private static List<Pod> web() {
        return client.pods().inNamespace(APP).withLabel("app", "web").list().getItems();
    }

    private static Pod pod(String name) {
        return client.pods().inNamespace(APP).withName(name).get();
    }

    private static boolean on(Pod pod, int node) {
        return nodes.nodeName(node).equals(pod.getSpec().getNodeName());
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static Optional<Instant> readySince(Pod pod) {
        return Optional.ofNullable(pod.getStatus()).map(s -> s.getConditions()).orElse(List.of()).stream()
                .filter(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))
                .map(c -> Instant.parse(c.getLastTransitionTime()))
                .findFirst();
    }

    private static boolean hasTaint(int node, String key, String effect) {
        List<Taint> taints =
                Optional.ofNullable(nodes.node(node).getSpec().getTaints()).orElse(List.of());
        return taints.stream().anyMatch(t -> key.equals(t.getKey()) && effect.equals(t.getEffect()));
    }

    private static void cordon(int node, boolean on) {
        client.nodes().withName(nodes.nodeName(node)).edit(n -> {
            n.getSpec().setUnschedulable(on ? true : null);
            return n;
        });
    }

    private static void apply(String yaml) {
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                .serverSideApply();
    }

    private static void ok(RealNodes.Result result) {
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    private static double since(Instant at) {
        return Duration.between(cutAt, at).toMillis() / 1000.0;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
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
