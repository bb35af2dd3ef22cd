package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.storage.VolumeAttachmentBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.model.ExemptPods;
import io.votequorum.model.FenceStage;
import io.votequorum.testenv.KubeApiServer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ladder's side effects on real Node and Pod objects in a real API server. */
class NodeActionsIT {

    private static final String NS = "apps";
    private static final FenceRecord RECORD = new FenceRecord(
            FenceStage.Cordoned,
            Instant.parse("2026-01-01T00:00:00Z"),
            "not a member of the quorate partition",
            Optional.empty());

    private static KubeApiServer api;
    private static KubernetesClient client;
    private static NodeActions actions;

    @BeforeAll
    static void start() {
        api = KubeApiServer.start();
        client = api.client();
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NS)
                        .endMetadata()
                        .build())
                .create();
        actions = new KubernetesNodeActions(client, KubernetesNodeApi.evictionClient(client), "lab");
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    private static Node node(String name, boolean cordoned, Taint... taints) {
        return client.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .withNewSpec()
                        .withUnschedulable(cordoned)
                        .withTaints(taints)
                        .endSpec()
                        .build())
                .create();
    }

    private static Pod pod(
            String name, String node, Map<String, String> labels, Map<String, String> annotations, String ownerKind) {
        PodBuilder pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .withLabels(labels)
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .addNewContainer()
                .withName("c")
                .withImage("app")
                .endContainer()
                .endSpec();
        if (ownerKind != null) {
            pod.editMetadata()
                    .addNewOwnerReference()
                    .withApiVersion("apps/v1")
                    .withKind(ownerKind)
                    .withName("owner")
                    .withUid("0000-" + name)
                    .endOwnerReference()
                    .endMetadata();
        }
        return client.resource(pod.build()).create();
    }

    private static Node get(String name) {
        return client.nodes().withName(name).get();
    }

    /** The Node's taints, without the not-ready taint the API server puts on every new Node. */
    private static List<String> taintIds(Node node) {
        return Optional.ofNullable(node.getSpec().getTaints()).orElse(List.of()).stream()
                .map(Taints::id)
                .filter(id -> !id.startsWith("node.kubernetes.io/not-ready"))
                .toList();
    }

    @Test
    void cordonTaintAndRecordThenUnfenceRemovesOnlyWhatTheOperatorAdded() {
        Taint admins = new TaintBuilder()
                .withKey("example.com/maintenance")
                .withEffect("NoSchedule")
                .build();
        node("n-cordon", false, admins);

        actions.cordon(get("n-cordon"), RECORD);
        actions.cordon(get("n-cordon"), RECORD); // idempotent

        Node fenced = get("n-cordon");
        assertThat(fenced.getSpec().getUnschedulable()).isTrue();
        assertThat(taintIds(fenced))
                .containsExactly("example.com/maintenance:NoSchedule", "votequorum.io/inquorate:NoSchedule");
        FenceAnnotation fence =
                FenceAnnotation.of(fenced.getMetadata().getAnnotations()).orElseThrow();
        assertThat(fence.cordoned()).isTrue();
        assertThat(fence.taints()).containsExactly("votequorum.io/inquorate:NoSchedule");
        assertThat(fence.record()).isEqualTo(RECORD);
        assertThat(fence.cluster()).isEqualTo("lab");

        // Against a Node that already shows the step, no API call: a client that reaches nothing is enough.
        try (KubernetesClient nowhere = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl("https://127.0.0.1:1")
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build()) {
            new KubernetesNodeActions(nowhere, nowhere, "lab").cordon(fenced, RECORD);
        }

        actions.markOutOfService(get("n-cordon"), RECORD.atStage(FenceStage.Fenced));
        assertThat(taintIds(get("n-cordon"))).contains("node.kubernetes.io/out-of-service:NoExecute");

        actions.unfence(get("n-cordon"));
        Node back = get("n-cordon");
        assertThat(back.getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
        assertThat(taintIds(back)).containsExactly("example.com/maintenance:NoSchedule");
        assertThat(back.getMetadata().getAnnotations()).doesNotContainKey(FenceAnnotation.KEY);
    }

    @Test
    void theQuorumConditionIsSetBesideTheOthersAndKeepsItsTransitionTime() {
        node("n-cond", false);
        actions.reportQuorum(get("n-cond"), "True", "MemberOfQuoratePartition", "member");
        String since = get("n-cond").getStatus().getConditions().stream()
                .filter(c -> "CorosyncQuorum".equals(c.getType()))
                .findFirst()
                .orElseThrow()
                .getLastTransitionTime();
        String version = get("n-cond").getMetadata().getResourceVersion();
        actions.reportQuorum(get("n-cond"), "True", "MemberOfQuoratePartition", "member");
        assertThat(get("n-cond").getMetadata().getResourceVersion())
                .as("no write when nothing changed")
                .isEqualTo(version);
        actions.reportQuorum(get("n-cond"), "False", "OutsideQuoratePartition", "outside");
        var condition = get("n-cond").getStatus().getConditions().stream()
                .filter(c -> "CorosyncQuorum".equals(c.getType()))
                .findFirst()
                .orElseThrow();
        assertThat(condition.getStatus()).isEqualTo("False");
        assertThat(condition.getLastTransitionTime()).isGreaterThanOrEqualTo(since);
    }

    @Test
    void aCordonAnAdminSetBeforehandStays() {
        node("n-admin", true);
        actions.cordon(get("n-admin"), RECORD);
        assertThat(FenceAnnotation.of(get("n-admin").getMetadata().getAnnotations())
                        .orElseThrow()
                        .cordoned())
                .isFalse();
        actions.unfence(get("n-admin"));
        assertThat(get("n-admin").getSpec().getUnschedulable())
                .as("still cordoned by the admin")
                .isTrue();
        assertThat(taintIds(get("n-admin"))).isEmpty();
    }

    @Test
    void evictionHonoursBudgetsAndLeavesDaemonSetMirrorAndExemptPodsAlone() {
        node("n-evict", false);
        pod("web", "n-evict", Map.of("app", "web"), Map.of(), null);
        Pod db = pod("db", "n-evict", Map.of("app", "db"), Map.of(), "StatefulSet");
        // A pending pod may always be evicted; a running one only as its budget allows.
        db.setStatus(new PodStatusBuilder()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .build());
        client.resource(db).updateStatus();
        pod("logger", "n-evict", Map.of("app", "logger"), Map.of(), "DaemonSet");
        pod("static", "n-evict", Map.of("app", "static"), Map.of(KubernetesNodeActions.MIRROR_ANNOTATION, "x"), null);
        pod("keep", "n-evict", Map.of("app", "keep", "fence", "never"), Map.of(), null);
        client.resource(new PodDisruptionBudgetBuilder()
                        .withNewMetadata()
                        .withName("db")
                        .withNamespace(NS)
                        .endMetadata()
                        .withNewSpec()
                        .withNewMinAvailable(1)
                        .withSelector(new LabelSelectorBuilder()
                                .addToMatchLabels("app", "db")
                                .build())
                        .endSpec()
                        .build())
                .create();

        ExemptPods exempt = new ExemptPods();
        exempt.setSelector(
                new LabelSelectorBuilder().addToMatchLabels("fence", "never").build());
        int remaining = actions.evict(get("n-evict"), RECORD.atStage(FenceStage.Evicted), exempt);

        assertThat(remaining).as("db is held back by its budget").isEqualTo(1);
        Pod web = client.pods().inNamespace(NS).withName("web").get();
        assertThat(web == null || web.getMetadata().getDeletionTimestamp() != null)
                .as("web evicted")
                .isTrue();
        for (String untouched : List.of("db", "logger", "static", "keep")) {
            assertThat(client.pods()
                            .inNamespace(NS)
                            .withName(untouched)
                            .get()
                            .getMetadata()
                            .getDeletionTimestamp())
                    .as(untouched)
                    .isNull();
        }
        assertThat(taintIds(get("n-evict")))
                .as("NoExecute waits until the budget lets db go")
                .doesNotContain("votequorum.io/inquorate:NoExecute");

        // A second round evicts nothing twice and the count stays right.
        assertThat(actions.evict(get("n-evict"), RECORD.atStage(FenceStage.Evicted), exempt))
                .isEqualTo(1);
        assertThat(FenceAnnotation.of(get("n-evict").getMetadata().getAnnotations())
                        .orElseThrow()
                        .evicted())
                .isEqualTo(1);
    }

    @Test
    void resourceDeletionForceDeletesPodsAndVolumeAttachments() {
        node("n-delete", false);
        pod("stuck", "n-delete", Map.of("app", "stuck"), Map.of(), "StatefulSet");
        client.resource(new VolumeAttachmentBuilder()
                        .withNewMetadata()
                        .withName("va-stuck")
                        .endMetadata()
                        .withNewSpec()
                        .withAttacher("csi.example.com")
                        .withNodeName("n-delete")
                        .withNewSource()
                        .withPersistentVolumeName("pv-stuck")
                        .endSource()
                        .endSpec()
                        .build())
                .create();
        client.resource(new VolumeAttachmentBuilder()
                        .withNewMetadata()
                        .withName("va-other")
                        .endMetadata()
                        .withNewSpec()
                        .withAttacher("csi.example.com")
                        .withNodeName("elsewhere")
                        .withNewSource()
                        .withPersistentVolumeName("pv-other")
                        .endSource()
                        .endSpec()
                        .build())
                .create();

        actions.deleteWorkloads(get("n-delete"), RECORD.atStage(FenceStage.Fenced), new ExemptPods());

        assertThat(client.pods().inNamespace(NS).withName("stuck").get()).isNull();
        assertThat(client.storage()
                        .v1()
                        .volumeAttachments()
                        .withName("va-stuck")
                        .get())
                .isNull();
        assertThat(client.storage()
                        .v1()
                        .volumeAttachments()
                        .withName("va-other")
                        .get())
                .isNotNull();
    }
}
