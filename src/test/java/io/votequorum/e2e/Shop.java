package io.votequorum.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.testenv.RealNodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The application of {@code make demo} and the end-to-end tier, hack/demo-app.yaml, on real nodes: in
 * namespace {@value #NAMESPACE}, the Deployment {@code web} of two pods under a PodDisruptionBudget
 * and the StatefulSet {@code db} of one ({@code db-0}).
 */
final class Shop {

    static final String NAMESPACE = "shop";

    private final RealNodes nodes;
    private final KubernetesClient client;

    Shop(RealNodes nodes) {
        this.nodes = nodes;
        this.client = nodes.client();
    }

    /** Applies hack/demo-app.yaml and waits for both workloads to be rolled out. */
    void deploy(Path repo) {
        ok(nodes.kubectl("apply", "-f", repo.resolve("hack/demo-app.yaml").toString()));
        ok(nodes.kubectl("-n", NAMESPACE, "rollout", "status", "deployment/web", "--timeout=120s"));
        ok(nodes.kubectl("-n", NAMESPACE, "rollout", "status", "statefulset/db", "--timeout=120s"));
    }

    Pod pod(String name) {
        return client.pods().inNamespace(NAMESPACE).withName(name).get();
    }

    List<Pod> web() {
        return client.pods()
                .inNamespace(NAMESPACE)
                .withLabel("app", "web")
                .list()
                .getItems();
    }

    boolean on(Pod pod, int node) {
        return pod != null && nodes.nodeName(node).equals(pod.getSpec().getNodeName());
    }

    static boolean ready(Pod pod) {
        return pod != null
                && pod.getStatus() != null
                && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /**
     * db-0 and one web pod on node I (an earlier cut may have moved them): the other nodes cordoned
     * while they are started again there. Returns db-0.
     */
    Pod gatherOn(int node) {
        boolean dbThere = on(pod("db-0"), node);
        List<Pod> web = web();
        boolean webThere = web.stream().anyMatch(p -> on(p, node));
        if (dbThere && webThere) {
            return pod("db-0");
        }
        cordonAllBut(node, true);
        try {
            if (!dbThere) {
                client.pods().inNamespace(NAMESPACE).withName("db-0").delete();
            }
            if (!webThere) {
                client.pods()
                        .inNamespace(NAMESPACE)
                        .withName(web.get(0).getMetadata().getName())
                        .delete();
            }
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        Pod db = pod("db-0");
                        assertThat(on(db, node) && ready(db))
                                .as("db-0 Ready on node%d", node)
                                .isTrue();
                        assertThat(web()).as("a web pod Ready on node%d", node).anyMatch(p -> on(p, node) && ready(p));
                        assertThat(web())
                                .as("two web pods Ready")
                                .filteredOn(Shop::ready)
                                .hasSize(2);
                    });
        } finally {
            cordonAllBut(node, false);
        }
        return pod("db-0");
    }

    private void cordonAllBut(int node, boolean on) {
        for (int i = 1; i <= nodes.size(); i++) {
            if (i != node) {
                client.nodes().withName(nodes.nodeName(i)).edit(n -> {
                    n.getSpec().setUnschedulable(on ? true : null);
                    return n;
                });
            }
        }
    }

    /** The processes on this machine in the pod's cgroups: what runs, whatever the API server says. */
    static List<Long> processesOf(String podUid) {
        String marker = "pod" + podUid;
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try {
                    if (Files.readString(p.resolve("cgroup")).contains(marker)) {
                        found.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended while being read
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private static void ok(RealNodes.Result result) {
        assertThat(result.exitCode()).as(result.output()).isZero();
    }
}
