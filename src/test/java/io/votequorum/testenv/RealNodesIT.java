package io.votequorum.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The real-nodes environment itself: three nodes, each a network namespace with corosync, containerd
 * and a kubelet, against a control plane on the host. A DaemonSet pod with hostNetwork on each node,
 * from the project's image, reaches that node's corosync and prints what corosync-quorumtool prints
 * on the node outside any container; a cut node goes NotReady and inquorate, a heal brings both
 * back, and nothing is left after down.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNodesIT {

    private static final int NODES = 3;
    private static final String NAMESPACE = "vq-real-nodes-it";
    private static final String DAEMON_SET = "status";
    private static final String ENTRY_POINT = "/opt/votequorum-operator/bin/votequorum-operator";
    private static final Path REPO = CorosyncCluster.REPO;
    private static final Path IMAGE = REPO.resolve("target/image");
    private static final Duration PODS_UP = Duration.ofSeconds(180);
    /** kube-controller-manager's node-monitor-grace-period is 50 s by default; NotReady follows within seconds. */
    private static final Duration NOT_READY = Duration.ofSeconds(120);

    private static final Duration HEALED = Duration.ofSeconds(90);

    private static RealNodes nodes;
    private static KubernetesClient client;

    @BeforeAll
    static void startNodes() throws Exception {
        long started = System.nanoTime();
        nodes = RealNodes.start(NODES);
        client = nodes.client();
        System.out.printf("RealNodesIT: control plane and %d nodes Ready in %.1f s%n", NODES, seconds(started));
    }

    @AfterAll
    static void stopNodes() {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    @Order(1)
    void threeNodesAreReadyUnderTheirNamesWithTheirNamespaceAddresses() {
        for (int i = 1; i <= NODES; i++) {
            assertThat(nodes.ready(i)).as("node%d Ready", i).isTrue();
            Node node = nodes.node(i);
            assertThat(node.getStatus().getAddresses())
                    .as("node%d addresses", i)
                    .extracting(NodeAddress::getType, NodeAddress::getAddress)
                    .contains(Tuple.tuple("InternalIP", nodes.address(i)));
            assertThat(node.getStatus().getNodeInfo().getKubeletVersion()).isEqualTo("v1.36.3");
            assertThat(nodes.quorate(i)).as("corosync on node%d quorate", i).isTrue();
        }
    }

    @Test
    @Order(2)
    void aHostNetworkPodOnEachNodeReadsThatNodesCorosync() throws Exception {
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        DaemonSet ds = new DaemonSetBuilder()
                .withNewMetadata()
                .withName(DAEMON_SET)
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .withMatchLabels(Map.of("app", DAEMON_SET))
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(Map.of("app", DAEMON_SET))
                .endMetadata()
                .withNewSpec()
                .withHostNetwork(true)
                .withDnsPolicy("Default")
                .withTerminationGracePeriodSeconds(2L)
                .addNewContainer()
                .withName("status")
                .withImage(projectImage())
                .withImagePullPolicy("Never")
                .withCommand("/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done")
                .addNewVolumeMount()
                .withName("shm")
                .withMountPath("/dev/shm")
                .endVolumeMount()
                .endContainer()
                .addNewVolume()
                .withName("shm")
                .withNewHostPath()
                .withPath("/dev/shm")
                .endHostPath()
                .endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
        long created = System.nanoTime();
        client.resource(ds).create();
        await().atMost(PODS_UP).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            List<Pod> pods = client.pods()
                    .inNamespace(NAMESPACE)
                    .withLabel("app", DAEMON_SET)
                    .list()
                    .getItems();
            assertThat(pods).as("DaemonSet pods; %s", describe()).hasSize(NODES);
            assertThat(pods).allMatch(p -> "Running".equals(p.getStatus().getPhase()), "all Running");
        });
        System.out.printf(
                "RealNodesIT: %d hostNetwork DaemonSet pods Running %.1f s after creation%n", NODES, seconds(created));

        for (int i = 1; i <= NODES; i++) {
            Pod pod = podOn(i);
            RealNodes.Result status =
                    nodes.kubectl("exec", "-n", NAMESPACE, pod.getMetadata().getName(), "--", ENTRY_POINT, "status");
            assertThat(status.exitCode())
                    .as(
                            "status in %s on node%d (0 = quorate): %s",
                            pod.getMetadata().getName(), i, status.output())
                    .isZero();
            QuorumToolOutput printed = QuorumToolOutput.parse(status.output());
            QuorumToolOutput reference = QuorumToolOutput.parse(nodes.quorumtool(i));
            assertThat(printed.field("Quorate")).isEqualTo("Yes").isEqualTo(reference.field("Quorate"));
            assertThat(printed.number("Node ID")).as("node ID").isEqualTo(i).isEqualTo(reference.number("Node ID"));
            assertThat(printed.field("Ring ID")).isEqualTo(reference.field("Ring ID"));
            assertThat(printed.number("Nodes")).isEqualTo(NODES).isEqualTo(reference.number("Nodes"));
            assertThat(printed.number("Expected votes")).isEqualTo(reference.number("Expected votes"));
            assertThat(printed.number("Total votes")).isEqualTo(reference.number("Total votes"));
            assertThat(printed.number("Quorum")).isEqualTo(reference.number("Quorum"));
        }
    }

    @Test
    @Order(3)
    void aCutNodeGoesNotReadyAndInquorateAndAHealBringsBothBack() {
        int cut = 3;
        long cutAt = System.nanoTime();
        nodes.cut(cut);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    assertThat(nodes.quorate(cut))
                            .as("corosync on the cut node")
                            .isFalse();
                    for (int i = 1; i < cut; i++) {
                        QuorumToolOutput view = QuorumToolOutput.parse(nodes.quorumtool(i));
                        assertThat(view.field("Quorate")).as("node%d", i).isEqualTo("Yes");
                        assertThat(view.number("Nodes"))
                                .as("node%d's membership", i)
                                .isEqualTo(NODES - 1);
                    }
                });
        double inquorate = seconds(cutAt);
        await().atMost(NOT_READY)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() ->
                        assertThat(nodes.ready(cut)).as("node%d Ready", cut).isFalse());
        double notReady = seconds(cutAt);
        for (int i = 1; i < cut; i++) {
            assertThat(nodes.ready(i)).as("node%d stays Ready", i).isTrue();
        }

        long healAt = System.nanoTime();
        nodes.heal(cut);
        await().atMost(HEALED).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (int i = 1; i <= NODES; i++) {
                QuorumToolOutput view = QuorumToolOutput.parse(nodes.quorumtool(i));
                assertThat(view.field("Quorate")).as("node%d", i).isEqualTo("Yes");
                assertThat(view.number("Nodes")).as("node%d's membership", i).isEqualTo(NODES);
            }
        });
        double quorateAgain = seconds(healAt);
        await().atMost(HEALED)
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() ->
                        assertThat(nodes.ready(cut)).as("node%d Ready", cut).isTrue());
        double readyAgain = seconds(healAt);
        System.out.printf(
                "RealNodesIT: cut node%d inquorate (others 2 members) after %.1f s, NotReady after %.1f s; "
                        + "healed: quorate with 3 after %.1f s, Ready after %.1f s%n",
                cut, inquorate, notReady, quorateAgain, readyAgain);
    }

    @Test
    @Order(4)
    void downLeavesNothing() {
        nodes.close();
        assertThat(RealNodes.leftovers()).as("left after down").isEmpty();
    }

    private static Pod podOn(int node) {
        return client.pods().inNamespace(NAMESPACE).withLabel("app", DAEMON_SET).list().getItems().stream()
                .filter(p -> nodes.nodeName(node).equals(p.getSpec().getNodeName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no DaemonSet pod on node" + node + "; " + describe()));
    }

    private static String describe() {
        return nodes.kubectl("get", "pods,events", "-n", NAMESPACE, "-o", "wide")
                .output();
    }

    /** The project's image as hack/build-image.sh tags it, imported into every node by the script. */
    private static String projectImage() throws IOException {
        JsonNode index =
                new ObjectMapper().readTree(IMAGE.resolve("oci/index.json").toFile());
        return "votequorum-operator:"
                + index.at("/manifests/0/annotations/org.opencontainers.image.ref.name")
                        .asText();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
