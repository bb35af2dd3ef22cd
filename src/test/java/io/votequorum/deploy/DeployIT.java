package io.votequorum.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.storage.VolumeAttachment;
import io.fabric8.kubernetes.api.model.storage.VolumeAttachmentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.votequorum.model.Conditions;
import io.votequorum.model.FencingMode;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.testenv.AgentProcess;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.KubeApiServer;
import io.votequorum.testenv.OperatorProcess;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * deploy/ as users apply it, on a real API server: every overlay applies by server-side apply, and
 * the agent's and the operator's service accounts, with real tokens from the TokenRequest API, can do
 * what their role needs and nothing else. Then the agent and operator jars run with those tokens
 * against real corosync.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeployIT {

    static final String NAMESPACE = "votequorum-system";
    private static final Path LOGS = Path.of("target", "deploy-it");
    private static final Duration STEP = Duration.ofSeconds(60);

    private static KubeApiServer api;
    private static KubernetesClient admin;

    @BeforeAll
    static void start() throws IOException, InterruptedException {
        Files.createDirectories(LOGS);
        api = KubeApiServer.start().withCrds();
        admin = api.client();
        apply(kustomize("deploy/base"));
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    /** What `kubectl kustomize DIR` renders, with the kubectl built alongside the API server. */
    static String kustomize(String dir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(
                        KubeApiServer.kubectl().toString(),
                        "kustomize",
                        CorosyncCluster.REPO.resolve(dir).toString())
                .redirectErrorStream(false)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("kubectl kustomize %s: %s", dir, err).isZero();
        return out;
    }

    /** Applies every object of a multi-document YAML by server-side apply, as `kubectl apply --server-side`. */
    static List<HasMetadata> apply(String yaml) {
        List<HasMetadata> applied = new ArrayList<>();
        for (HasMetadata object : admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                .items()) {
            applied.add(admin.resource(object)
                    .fieldManager("deploy-it")
                    .forceConflicts()
                    .serverSideApply());
        }
        return applied;
    }

    static KubernetesClient clientWithToken(String token) {
        return new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(api.kubeconfigWithToken("127.0.0.1", token)))
                .build();
    }

    /** A pod of the service account on the node, and a token bound to it as the kubelet would mount. */
    static String tokenFor(String serviceAccount, String pod, String node) {
        if (admin.nodes().withName(node).get() == null) {
            admin.resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName(node)
                            .addToLabels("votequorum.io/corosync", "true")
                            .endMetadata()
                            .build())
                    .create();
        }
        Pod created = admin.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(pod)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withServiceAccountName(serviceAccount)
                        .withNodeName(node)
                        .addNewContainer()
                        .withName("c")
                        .withImage("votequorum-operator")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        return admin.serviceAccounts()
                .inNamespace(NAMESPACE)
                .withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .withNewBoundObjectRef()
                        .withApiVersion("v1")
                        .withKind("Pod")
                        .withName(pod)
                        .withUid(created.getMetadata().getUid())
                        .endBoundObjectRef()
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
    }

    static void refused(String what, ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call)
                .as(what)
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode())
                        .as(what + ": " + e.getMessage())
                        .isIn(403, 422));
    }

    static QuorumStatus shell(String name) {
        QuorumStatus qs = new QuorumStatus();
        qs.setMetadata(new ObjectMetaBuilder().withName(name).build());
        qs.setStatus(null);
        return qs;
    }

    static QuorumStatus report(String name) {
        QuorumStatus qs = new QuorumStatus();
        qs.setMetadata(new ObjectMetaBuilder().withName(name).build());
        qs.setSpec(null);
        qs.getStatus().setNodeName(name);
        qs.getStatus().setQuorate(true);
        return qs;
    }

    static PatchContext ssa(String manager) {
        return new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(manager)
                .withForce(true)
                .build();
    }

    @Test
    @Order(1)
    void everyOverlayAndExampleAppliesByServerSideApply() throws Exception {
        for (String dir : List.of("deploy/base", "deploy/overlays/hardened", "deploy/overlays/self-fencing")) {
            List<HasMetadata> applied = apply(kustomize(dir));
            assertThat(applied)
                    .as(dir)
                    .extracting(HasMetadata::getKind)
                    .contains(
                            "Namespace",
                            "CustomResourceDefinition",
                            "DaemonSet",
                            "Deployment",
                            "PodDisruptionBudget",
                            "ClusterRole",
                            "ValidatingAdmissionPolicy",
                            "ValidatingAdmissionPolicyBinding");
        }
        for (String example : List.of("deploy/examples/policy-dryrun.yaml", "deploy/examples/policy-enforce.yaml")) {
            apply(Files.readString(CorosyncCluster.REPO.resolve(example)));
        }
        assertThat(admin.resources(VoteQuorumPolicy.class)
                        .withName("mycluster")
                        .get()
                        .getSpec()
                        .getFencing()
                        .getMode())
                .isEqualTo(FencingMode.Enforce);
        admin.resources(VoteQuorumPolicy.class).withName("mycluster").delete();
        apply(kustomize("deploy/base")); // back to the base for the tests below
    }

    @Test
    @Order(2)
    void theAgentsTokenWritesItsOwnNodesQuorumStatusAndLeaseAndNothingElse() {
        String token = tokenFor("votequorum-agent", "agent-a", "node-a");
        admin.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("node-b")
                        .endMetadata()
                        .build())
                .create();
        admin.resource(shell("node-b")).create();
        admin.resource(new LeaseBuilder()
                        .withNewMetadata()
                        .withName("node-b")
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withHolderIdentity("node-b")
                        .endSpec()
                        .build())
                .create();
        Pod other = admin.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node-b")
                        .addNewContainer()
                        .withName("c")
                        .withImage("web")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();

        try (KubernetesClient agent = clientWithToken(token)) {
            // Its own node: the QuorumStatus, its status, and the heartbeat Lease.
            agent.resource(shell("node-a")).create();
            agent.resource(report("node-a")).subresource("status").patch(ssa("votequorum-agent"));
            agent.resource(new LeaseBuilder()
                            .withNewMetadata()
                            .withName("node-a")
                            .withNamespace(NAMESPACE)
                            .endMetadata()
                            .withNewSpec()
                            .withHolderIdentity("node-a")
                            .withLeaseDurationSeconds(10)
                            .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                            .endSpec()
                            .build())
                    .fieldManager("votequorum-agent")
                    .forceConflicts()
                    .serverSideApply();
            assertThat(agent.resources(QuorumStatus.class)
                            .withName("node-a")
                            .get()
                            .getStatus()
                            .getQuorate())
                    .isTrue();
            assertThat(agent.nodes().withName("node-a").get()).isNotNull();

            // Another node's QuorumStatus and Lease: refused, whatever the verb.
            refused(
                    "create another node's QuorumStatus",
                    () -> agent.resource(shell("node-c")).create());
            refused(
                    "patch another node's QuorumStatus status",
                    () -> agent.resource(report("node-b")).subresource("status").patch(ssa("votequorum-agent")));
            refused(
                    "update another node's QuorumStatus",
                    () -> agent.resources(QuorumStatus.class).withName("node-b").edit(q -> {
                        q.getMetadata().setLabels(Map.of("x", "y"));
                        return q;
                    }));
            refused(
                    "delete another node's QuorumStatus",
                    () -> agent.resources(QuorumStatus.class)
                            .withName("node-b")
                            .withTimeout(10, TimeUnit.SECONDS)
                            .delete());
            refused(
                    "patch another node's Lease",
                    () -> agent.resource(new LeaseBuilder()
                                    .withNewMetadata()
                                    .withName("node-b")
                                    .withNamespace(NAMESPACE)
                                    .endMetadata()
                                    .withNewSpec()
                                    .withHolderIdentity("x")
                                    .endSpec()
                                    .build())
                            .fieldManager("votequorum-agent")
                            .forceConflicts()
                            .serverSideApply());
            refused(
                    "create another node's Lease",
                    () -> agent.resource(new LeaseBuilder()
                                    .withNewMetadata()
                                    .withName("node-c")
                                    .withNamespace(NAMESPACE)
                                    .endMetadata()
                                    .withNewSpec()
                                    .withHolderIdentity("x")
                                    .endSpec()
                                    .build())
                            .create());
            refused(
                    "delete another node's Lease",
                    () -> agent.leases()
                            .inNamespace(NAMESPACE)
                            .withName("node-b")
                            .withTimeout(10, TimeUnit.SECONDS)
                            .delete());
            refused(
                    "delete its own QuorumStatus",
                    () -> agent.resources(QuorumStatus.class)
                            .withName("node-a")
                            .withTimeout(10, TimeUnit.SECONDS)
                            .delete());
            // A quorum device's Lease: created without a holder, written only as its own node, never deleted.
            agent.resource(deviceLease(null)).create();
            agent.resource(deviceLease("corosync-node-1@node-a"))
                    .fieldManager("votequorum-device")
                    .forceConflicts()
                    .serverSideApply();
            assertThat(agent.leases()
                            .inNamespace(NAMESPACE)
                            .withName("votequorum-device-edge")
                            .get()
                            .getSpec()
                            .getHolderIdentity())
                    .isEqualTo("corosync-node-1@node-a");
            refused(
                    "write the device Lease as another node",
                    () -> agent.resource(deviceLease("corosync-node-2@node-b"))
                            .fieldManager("votequorum-device")
                            .forceConflicts()
                            .serverSideApply());
            refused(
                    "create a device Lease with a holder",
                    () -> agent.resource(new LeaseBuilder(deviceLease("corosync-node-1@node-a"))
                                    .editMetadata()
                                    .withName("votequorum-device-other")
                                    .endMetadata()
                                    .build())
                            .create());
            refused(
                    "delete the device Lease",
                    () -> agent.leases()
                            .inNamespace(NAMESPACE)
                            .withName("votequorum-device-edge")
                            .withTimeout(10, TimeUnit.SECONDS)
                            .delete());
            // Nodes, Pods and Secrets: refused.
            refused(
                    "patch a Node",
                    () -> agent.nodes()
                            .withName("node-a")
                            .edit(n -> new NodeBuilder(n)
                                    .editSpec()
                                    .withUnschedulable(true)
                                    .endSpec()
                                    .build()));
            refused(
                    "delete a Pod",
                    () -> agent.pods()
                            .inNamespace(NAMESPACE)
                            .withName(other.getMetadata().getName())
                            .withTimeout(10, TimeUnit.SECONDS)
                            .delete());
            refused("read Secrets", () -> agent.secrets().inNamespace(NAMESPACE).list());
            refused(
                    "read Secrets cluster-wide",
                    () -> agent.secrets().inAnyNamespace().list());
        }
        assertThat(admin.resources(QuorumStatus.class).withName("node-b").get()).isNotNull();
        assertThat(admin.leases()
                        .inNamespace(NAMESPACE)
                        .withName("node-b")
                        .get()
                        .getSpec()
                        .getHolderIdentity())
                .isEqualTo("node-b");
    }

    /** The quorum device's Lease of cluster edge, held by {@code holder} (none when null). */
    private static Lease deviceLease(String holder) {
        return new LeaseBuilder()
                .withNewMetadata()
                .withName("votequorum-device-edge")
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(holder)
                .withLeaseDurationSeconds(15)
                .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                .endSpec()
                .build();
    }

    @Test
    @Order(3)
    void theOperatorsTokenCarriesOutEachLadderStepAndReadsNoSecrets() {
        String token = tokenFor("votequorum-operator", "operator-0", "node-o");
        admin.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("node-lost")
                        .endMetadata()
                        .build())
                .create();
        Pod victim = admin.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("victim")
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node-lost")
                        .addNewContainer()
                        .withName("c")
                        .withImage("v")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        Pod forced = admin.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("forced")
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node-lost")
                        .addNewContainer()
                        .withName("c")
                        .withImage("v")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        admin.resource(new VolumeAttachmentBuilder()
                        .withNewMetadata()
                        .withName("va-lost")
                        .endMetadata()
                        .withNewSpec()
                        .withAttacher("csi.example.com")
                        .withNodeName("node-lost")
                        .withNewSource()
                        .withPersistentVolumeName("pv-1")
                        .endSource()
                        .endSpec()
                        .build())
                .create();
        admin.resource(shell("node-lost")).create();

        try (KubernetesClient operator = clientWithToken(token)) {
            operator.nodes()
                    .withName("node-lost")
                    .edit(n -> new NodeBuilder(n)
                            .editSpec()
                            .withUnschedulable(true)
                            .addNewTaint()
                            .withKey("votequorum.io/inquorate")
                            .withEffect("NoSchedule")
                            .endTaint()
                            .endSpec()
                            .editMetadata()
                            .addToAnnotations("votequorum.io/fencing", "{}")
                            .endMetadata()
                            .build());
            operator.resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName("node-lost")
                            .endMetadata()
                            .withNewStatus()
                            .addNewCondition()
                            .withType("CorosyncQuorum")
                            .withStatus("False")
                            .withReason("OutsideQuoratePartition")
                            .withMessage("cut")
                            .withLastTransitionTime("2026-01-01T00:00:00Z")
                            .endCondition()
                            .endStatus()
                            .build())
                    .subresource("status")
                    .patch(ssa("votequorum-operator"));
            operator.pods()
                    .inNamespace(NAMESPACE)
                    .withName("victim")
                    .evict(new EvictionBuilder()
                            .withNewMetadata()
                            .withName("victim")
                            .withNamespace(NAMESPACE)
                            .endMetadata()
                            .build());
            operator.pods()
                    .inNamespace(NAMESPACE)
                    .withName("forced")
                    .withGracePeriod(0)
                    .delete();
            operator.resources(VolumeAttachment.class).withName("va-lost").delete();
            operator.resources(QuorumStatus.class).withName("node-lost").edit(q -> {
                q.getSpec().setSelfFenceAfter("30s");
                return q;
            });
            operator.v1()
                    .events()
                    .inNamespace("default")
                    .resource(new EventBuilder()
                            .withNewMetadata()
                            .withGenerateName("votequorum-")
                            .withNamespace("default")
                            .endMetadata()
                            .withReason("Fenced")
                            .withMessage("node-lost Cordoned")
                            .withType("Warning")
                            .withNewInvolvedObject()
                            .withKind("VoteQuorumPolicy")
                            .withName("lab")
                            .endInvolvedObject()
                            .build())
                    .create();
            operator.leases()
                    .inNamespace(NAMESPACE)
                    .resource(new LeaseBuilder()
                            .withNewMetadata()
                            .withName("votequorum-operator")
                            .endMetadata()
                            .withNewSpec()
                            .withHolderIdentity("operator-0")
                            .withLeaseDurationSeconds(15)
                            .endSpec()
                            .build())
                    .create();
            assertThat(operator.leases().inNamespace(NAMESPACE).list().getItems())
                    .isNotEmpty();
            admin.leases()
                    .inNamespace(NAMESPACE)
                    .withName("votequorum-operator")
                    .delete(); // for the operator run below

            // Where the API server runs, for the quorum device: default/kubernetes only, read only.
            operator.discovery()
                    .v1()
                    .endpointSlices()
                    .inNamespace("default")
                    .withName("kubernetes")
                    .get();
            operator.endpoints().inNamespace("default").withName("kubernetes").get();
            refused(
                    "list EndpointSlices",
                    () -> operator.discovery()
                            .v1()
                            .endpointSlices()
                            .inNamespace("default")
                            .list());
            refused(
                    "read other Endpoints",
                    () -> operator.endpoints()
                            .inNamespace("default")
                            .withName("other")
                            .get());
            refused(
                    "read Secrets",
                    () -> operator.secrets().inNamespace(NAMESPACE).list());
            refused(
                    "read a Secret",
                    () -> operator.secrets()
                            .inNamespace("kube-system")
                            .withName("any")
                            .get());
            refused(
                    "create Pods",
                    () -> operator.resource(new PodBuilder()
                                    .withNewMetadata()
                                    .withName("mine")
                                    .withNamespace(NAMESPACE)
                                    .endMetadata()
                                    .withNewSpec()
                                    .addNewContainer()
                                    .withName("c")
                                    .withImage("x")
                                    .endContainer()
                                    .endSpec()
                                    .build())
                            .create());
            refused(
                    "write RBAC",
                    () -> operator.rbac()
                            .clusterRoleBindings()
                            .resource(new ClusterRoleBindingBuilder()
                                    .withNewMetadata()
                                    .withName("escalate")
                                    .endMetadata()
                                    .withNewRoleRef()
                                    .withApiGroup("rbac.authorization.k8s.io")
                                    .withKind("ClusterRole")
                                    .withName("cluster-admin")
                                    .endRoleRef()
                                    .build())
                            .create());
        }
        assertThat(admin.nodes().withName("node-lost").get().getSpec().getUnschedulable())
                .isTrue();
        assertThat(admin.pods().inNamespace(NAMESPACE).withName("forced").get()).isNull();
        assertThat(victim.getMetadata().getName()).isEqualTo("victim");
        assertThat(forced.getMetadata().getName()).isEqualTo("forced");
    }

    @Test
    @Order(4)
    void theAgentAndOperatorJarsWorkWithTheirTokensOnRealCorosync() throws Exception {
        try (CorosyncCluster cluster =
                CorosyncCluster.builder().nodes(3).clusterName("tokens").start()) {
            List<AgentProcess> agents = new ArrayList<>();
            OperatorProcess operator = null;
            try {
                for (int i = 1; i <= 3; i++) {
                    Path kubeconfig = LOGS.resolve("agent-node" + i + ".yaml");
                    Files.writeString(
                            kubeconfig,
                            api.kubeconfigWithToken(
                                    CorosyncCluster.HOST_ADDRESS,
                                    tokenFor("votequorum-agent", "votequorum-agent-node" + i, "node" + i)));
                    agents.add(AgentProcess.start(cluster, i, kubeconfig, NAMESPACE, LOGS));
                }
                Path operatorConfig = LOGS.resolve("operator.yaml");
                Files.writeString(
                        operatorConfig,
                        api.kubeconfigWithToken(
                                "127.0.0.1", tokenFor("votequorum-operator", "votequorum-operator-0", "node1")));
                operator = OperatorProcess.start(operatorConfig, NAMESPACE, LOGS, List.of());
                VoteQuorumPolicy policy = new VoteQuorumPolicy();
                policy.setMetadata(new ObjectMetaBuilder().withName("tokens").build());
                policy.getSpec().setClusterName("tokens");
                policy.getSpec().getFencing().setMode(FencingMode.Enforce);
                admin.resource(policy).create();

                await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
                    for (int i = 1; i <= 3; i++) {
                        assertThat(admin.resources(QuorumStatus.class)
                                        .withName("node" + i)
                                        .get()
                                        .getStatus()
                                        .getQuorate())
                                .as("node%d reported by its agent", i)
                                .isTrue();
                        assertThat(admin.leases()
                                        .inNamespace(NAMESPACE)
                                        .withName("node" + i)
                                        .get())
                                .isNotNull();
                    }
                    assertThat(admin.resources(VoteQuorumPolicy.class)
                                    .withName("tokens")
                                    .get()
                                    .getStatus()
                                    .getPartition()
                                    .memberCount())
                            .isEqualTo(3);
                });
                cluster.cut(3);
                await().atMost(STEP).untilAsserted(() -> {
                    assertThat(admin.nodes().withName("node3").get().getSpec().getUnschedulable())
                            .isTrue();
                    assertThat(admin.nodes().withName("node3").get().getStatus().getConditions())
                            .anyMatch(c -> "CorosyncQuorum".equals(c.getType()) && "False".equals(c.getStatus()));
                });
                for (AgentProcess agent : agents) {
                    assertThat(agent.log()).as("agent %d", agent.node()).doesNotContain("Forbidden", "forbidden");
                }
                assertThat(operator.log()).doesNotContain("Forbidden", "forbidden");
            } finally {
                agents.forEach(AgentProcess::close);
                if (operator != null) {
                    operator.close();
                }
            }
        }
    }

    @Test
    @Order(5)
    void cleanupRemovesOnlyWhatTheOperatorAddedBeforeAnUninstall() throws Exception {
        // cut-a: an administrator cordoned it and tainted it for maintenance; the operator only tainted it.
        admin.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("cut-a")
                        .addToAnnotations(
                                "votequorum.io/fencing",
                                "{\"cluster\":\"lab\",\"stage\":\"Cordoned\",\"since\":"
                                        + "\"2026-01-01T00:00:00Z\",\"reason\":\"cut\",\"cordoned\":false,\"taints\":"
                                        + "[\"votequorum.io/inquorate:NoSchedule\"]}")
                        .endMetadata()
                        .withNewSpec()
                        .withUnschedulable(true)
                        .addNewTaint()
                        .withKey("maintenance")
                        .withValue("disk")
                        .withEffect("NoSchedule")
                        .endTaint()
                        .addNewTaint()
                        .withKey("votequorum.io/inquorate")
                        .withEffect("NoSchedule")
                        .endTaint()
                        .endSpec()
                        .build())
                .create();
        // cut-b: the operator cordoned it and tainted it twice.
        admin.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("cut-b")
                        .addToAnnotations(
                                "votequorum.io/fencing",
                                "{\"cluster\":\"lab\",\"stage\":\"Evicted\",\"since\":"
                                        + "\"2026-01-01T00:00:00Z\",\"reason\":\"cut\",\"cordoned\":true,\"taints\":"
                                        + "[\"votequorum.io/inquorate:NoSchedule\",\"votequorum.io/inquorate:NoExecute\"]}")
                        .endMetadata()
                        .withNewSpec()
                        .withUnschedulable(true)
                        .addNewTaint()
                        .withKey("votequorum.io/inquorate")
                        .withEffect("NoSchedule")
                        .endTaint()
                        .addNewTaint()
                        .withKey("votequorum.io/inquorate")
                        .withEffect("NoExecute")
                        .endTaint()
                        .endSpec()
                        .build())
                .create();
        admin.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("cut-b")
                        .endMetadata()
                        .withNewStatus()
                        .addNewCondition()
                        .withType("CorosyncQuorum")
                        .withStatus("False")
                        .withReason("OutsideQuoratePartition")
                        .withMessage("cut")
                        .withLastTransitionTime("2026-01-01T00:00:00Z")
                        .endCondition()
                        .endStatus()
                        .build())
                .subresource("status")
                .patch(ssa("votequorum-operator"));

        Path kubeconfig = LOGS.resolve("cleanup.yaml");
        Files.writeString(
                kubeconfig,
                api.kubeconfigWithToken("127.0.0.1", tokenFor("votequorum-operator", "votequorum-cleanup", "node-o")));
        Path log = LOGS.resolve("cleanup.log");
        ProcessBuilder cleanup = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        CorosyncCluster.REPO
                                .resolve("target/quarkus-app/quarkus-run.jar")
                                .toString(),
                        "cleanup")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        cleanup.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
        Process process = cleanup.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS))
                .as("cleanup finished")
                .isTrue();
        assertThat(process.exitValue()).as(Files.readString(log)).isZero();
        assertThat(Files.readString(log)).contains("cleanup: cut-a: removed what the operator added");

        var a = admin.nodes().withName("cut-a").get();
        assertThat(a.getSpec().getUnschedulable())
                .as("the administrator's cordon stays")
                .isTrue();
        assertThat(a.getSpec().getTaints())
                .extracting(t -> t.getKey())
                .filteredOn(key -> !key.startsWith("node.kubernetes.io/")) // the API server's own, no kubelet here
                .containsExactly("maintenance");
        assertThat(a.getMetadata().getAnnotations()).doesNotContainKey("votequorum.io/fencing");
        var b = admin.nodes().withName("cut-b").get();
        assertThat(b.getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
        assertThat(b.getSpec().getTaints())
                .extracting(t -> t.getKey())
                .filteredOn(key -> !key.startsWith("node.kubernetes.io/"))
                .isEmpty();
        assertThat(b.getStatus().getConditions()).noneMatch(c -> "CorosyncQuorum".equals(c.getType()));
    }

    @Test
    @Order(6)
    void theHardenedAgentRunsAsItsOwnUserWhereCorosyncAllowsItAndSaysWhatToDoWhereNot() throws Exception {
        String allow = "uidgid {\n    uid: 65532\n    gid: 65532\n}";
        try (CorosyncCluster cluster = CorosyncCluster.builder()
                .nodes(2)
                .clusterName("hardened")
                .confExtra(allow)
                .start()) {
            List<AgentProcess> agents = new ArrayList<>();
            try {
                for (int i = 1; i <= 2; i++) {
                    Path kubeconfig = LOGS.resolve("hardened-node" + i + ".yaml");
                    Files.writeString(
                            kubeconfig,
                            api.kubeconfigWithToken(
                                    CorosyncCluster.HOST_ADDRESS,
                                    tokenFor("votequorum-agent", "hardened-agent-node" + i, "node" + i)));
                    // node1's agent runs as the user uidgid allows; node2's as one it does not.
                    agents.add(AgentProcess.startAs(i == 1 ? 65532 : 65534, cluster, i, kubeconfig, NAMESPACE, LOGS));
                }
                await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
                    var one = admin.resources(QuorumStatus.class)
                            .withName("node1")
                            .get()
                            .getStatus();
                    assertThat(one.getClusterName()).isEqualTo("hardened");
                    assertThat(one.getQuorate()).isTrue();
                    var two = admin.resources(QuorumStatus.class)
                            .withName("node2")
                            .get()
                            .getStatus();
                    var reachable = Conditions.find(two.getConditions(), "CorosyncReachable")
                            .orElseThrow();
                    assertThat(reachable.getStatus()).isEqualTo("False");
                    assertThat(reachable.getMessage()).contains("uidgid");
                    assertThat(two.getQuorate()).as("unknown, not false").isNull();
                });
                String uids =
                        Files.readAllLines(Path.of(
                                        "/proc",
                                        String.valueOf(agents.get(0).jvm().pid()),
                                        "status"))
                                .stream()
                                .filter(l -> l.startsWith("Uid:"))
                                .findFirst()
                                .orElseThrow();
                assertThat(uids.split("\\s+"))
                        .as("real, effective, saved and file system uid")
                        .containsOnly("Uid:", "65532");
            } finally {
                agents.forEach(AgentProcess::close);
            }
        }
    }
}
