package io.votequorum.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.KubeApiServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart in charts/votequorum-operator: it lints, renders the objects deploy/ defines (with the
 * same pod settings as the base and both overlays), every object it renders, with default and other
 * values, applies by server-side apply to a real API server, the admission policy holds a release's
 * agent to its own node in any namespace, and values.schema.json refuses bad values with a message
 * naming them. helm is the one hack/build-helm.sh builds (`make helm`).
 */
class ChartIT {

    private static final Path CHART = CorosyncCluster.REPO.resolve("charts/votequorum-operator");
    private static final String FIELD_MANAGER = "chart-it";

    private static Path helm;
    private static Path helmHome;
    private static KubeApiServer api;
    private static KubernetesClient admin;

    @BeforeAll
    static void start() throws IOException {
        helm = locateHelm();
        helmHome = Files.createTempDirectory("vq-helm-home");
        api = KubeApiServer.start().withCrds();
        admin = api.client();
        installServiceMonitorCrd();
    }

    @AfterAll
    static void stop() throws IOException {
        if (api != null) {
            api.close();
        }
        if (helmHome != null) {
            try (Stream<Path> walk = Files.walk(helmHome)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void lintsCleanAlsoStrictWithDefaultAndOtherValues() throws Exception {
        Path others = writeValues(OTHER_VALUES);
        for (List<String> args : List.of(
                List.of("lint", CHART.toString()),
                List.of("lint", "--strict", CHART.toString()),
                List.of("lint", "--strict", CHART.toString(), "-f", others.toString()),
                List.of("lint", "--strict", CHART.toString(), "--set", "agent.selfFencing.enabled=true"))) {
            Result lint = helm(args.toArray(String[]::new));
            assertThat(lint.exit())
                    .as("helm %s:%n%s%s", String.join(" ", args), lint.out(), lint.err())
                    .isZero();
            assertThat(lint.out()).contains("1 chart(s) linted, 0 chart(s) failed");
        }
    }

    @Test
    void defaultValuesRenderWhatDeployBaseAndItsOverlaysDefine() throws Exception {
        List<HasMetadata> chart = objects(
                template("votequorum", "votequorum-system", "--include-crds", "--set", "namespace.create=true"));
        List<HasMetadata> base = objects(kustomize("deploy/base"));
        Set<String> expected = new TreeSet<>();
        for (String key : keys(base)) {
            // kustomize does not know the admission kinds are cluster-wide and gives them its namespace.
            expected.add(key.startsWith("ValidatingAdmissionPolicy") ? key.replace("/votequorum-system/", "//") : key);
        }
        expected.add("Job/votequorum-system/votequorum-cleanup");
        assertThat(new TreeSet<>(keys(chart)))
                .as("the chart's objects against deploy/base's")
                .isEqualTo(expected);

        assertSamePods(chart, base, "deploy/base");
        assertSamePods(
                objects(template("votequorum", "votequorum-system", "--set", "agent.hardened=true")),
                objects(kustomize("deploy/overlays/hardened")),
                "deploy/overlays/hardened");
        assertSamePods(
                objects(template("votequorum", "votequorum-system", "--set", "agent.selfFencing.enabled=true")),
                objects(kustomize("deploy/overlays/self-fencing")),
                "deploy/overlays/self-fencing");

        DaemonSet agent = only(chart, DaemonSet.class);
        assertThat(env(agent.getSpec().getTemplate().getSpec().getContainers().get(0)))
                .containsEntry("VOTEQUORUM_AGENT_LEASE_DURATION", "10s")
                .containsEntry("VOTEQUORUM_AGENT_RENEW_INTERVAL", "2s")
                .doesNotContainKeys("VOTEQUORUM_AGENT_WATCHDOG_DEVICE", "JAVA_OPTS", "JAVA_OPTS_APPEND");
        assertThat(only(chart, ValidatingAdmissionPolicy.class)
                        .getSpec()
                        .getMatchConditions()
                        .get(0)
                        .getExpression())
                .isEqualTo("request.userInfo.username == 'system:serviceaccount:votequorum-system:votequorum-agent'");
        assertThat(chart).extracting(HasMetadata::getKind).doesNotContain("ServiceMonitor", "VoteQuorumPolicy");

        Job cleanup = only(chart, Job.class);
        assertThat(cleanup.getMetadata().getAnnotations())
                .containsEntry("helm.sh/hook", "pre-delete")
                .containsEntry("helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded");
        assertThat(cleanup.getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo("votequorum-operator");
        assertThat(cleanup.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getArgs())
                .containsExactly("cleanup");
        assertThat(cleanup.getSpec().getActiveDeadlineSeconds()).isPositive();
        assertThat(cleanup.getSpec().getBackoffLimit()).isPositive();

        applyAll(chart);
        assertThat(admin.apps()
                        .daemonSets()
                        .inNamespace("votequorum-system")
                        .withName("votequorum-agent")
                        .get())
                .isNotNull();
        assertThat(admin.batch()
                        .v1()
                        .jobs()
                        .inNamespace("votequorum-system")
                        .withName("votequorum-cleanup")
                        .get())
                .isNotNull();
    }

    static final String OTHER_VALUES = """
            image: {repository: registry.example.com/edge/votequorum-operator, tag: 0.1.0-rc.1, pullPolicy: Always}
            imagePullSecrets: [{name: registry}]
            fullnameOverride: edge-vq
            namespace: {create: true}
            agent:
              nodeSelector: {votequorum.io/corosync: null, example.com/corosync: "yes"}
              tolerations: [{key: example.com/maintenance, operator: Exists, effect: NoSchedule}]
              leaseDuration: 6s
              renewInterval: 1500ms
              maxHeap: 32m
              hardened: true
              resources: {requests: {cpu: 20m, memory: 200Mi}, limits: {memory: 300Mi}}
            operator:
              replicas: 3
              javaOpts: "-Xms32m -XX:+UseSerialGC"
              maxHeap: 256m
            metrics:
              serviceMonitor: {enabled: true, interval: 15s, labels: {release: prometheus}}
            examplePolicy: {enabled: true, clusterName: edge, mode: DryRun}
            """;

    @Test
    void otherValuesRenderAndApplyAndTheAdmissionPolicyHoldsThatReleasesAgent() throws Exception {
        List<HasMetadata> edge = objects(
                template("edge", "vq-edge", "-f", writeValues(OTHER_VALUES).toString()));
        assertThat(edge)
                .filteredOn(o -> o.getMetadata().getNamespace() != null)
                .allMatch(o -> o.getMetadata().getNamespace().equals("vq-edge"));
        assertThat(edge)
                .extracting(HasMetadata::getKind)
                .contains(
                        "Namespace",
                        "ServiceMonitor",
                        "VoteQuorumPolicy",
                        "PodDisruptionBudget",
                        "Job",
                        "ValidatingAdmissionPolicyBinding");
        assertThat(only(edge, Namespace.class).getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "privileged");

        PodSpec agent = only(edge, DaemonSet.class).getSpec().getTemplate().getSpec();
        Container agentContainer = agent.getContainers().get(0);
        assertThat(agentContainer.getImage()).isEqualTo("registry.example.com/edge/votequorum-operator:0.1.0-rc.1");
        assertThat(agentContainer.getImagePullPolicy()).isEqualTo("Always");
        assertThat(agent.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry");
        assertThat(agent.getServiceAccountName()).isEqualTo("edge-vq-agent");
        assertThat(agent.getNodeSelector()).isEqualTo(Map.of("example.com/corosync", "yes"));
        assertThat(agent.getTolerations())
                .singleElement()
                .satisfies(t -> assertThat(t.getKey()).isEqualTo("example.com/maintenance"));
        assertThat(env(agentContainer))
                .containsEntry("VOTEQUORUM_AGENT_LEASE_DURATION", "6s")
                .containsEntry("VOTEQUORUM_AGENT_RENEW_INTERVAL", "1500ms")
                .containsEntry("JAVA_OPTS_APPEND", "-Xmx32m")
                .doesNotContainKey("JAVA_OPTS");
        assertThat(agentContainer.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
        assertThat(agentContainer.getSecurityContext().getRunAsGroup()).isEqualTo(65532L);
        assertThat(agentContainer.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(agentContainer.getResources().getLimits().get("memory").toString())
                .isEqualTo("300Mi");

        Deployment operator = only(edge, Deployment.class);
        assertThat(operator.getSpec().getReplicas()).isEqualTo(3);
        assertThat(env(operator.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)))
                .containsEntry("JAVA_OPTS", "-Xms32m -XX:+UseSerialGC")
                .containsEntry("JAVA_OPTS_APPEND", "-Xmx256m");
        assertThat(only(edge, ValidatingAdmissionPolicy.class)
                        .getSpec()
                        .getMatchConditions()
                        .get(0)
                        .getExpression())
                .isEqualTo("request.userInfo.username == 'system:serviceaccount:vq-edge:edge-vq-agent'");
        assertThat(edge)
                .filteredOn(o -> o instanceof ClusterRoleBinding)
                .allSatisfy(b -> assertThat(((ClusterRoleBinding) b).getSubjects())
                        .singleElement()
                        .satisfies(s -> assertThat(s.getNamespace()).isEqualTo("vq-edge")));
        assertThat(only(edge, Job.class).getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo("edge-vq-operator");
        // The client reads custom resources it has no class registered for as generic ones.
        VoteQuorumPolicy policy = Serialization.unmarshal(
                Serialization.asJson(edge.stream()
                        .filter(o -> o.getKind().equals("VoteQuorumPolicy"))
                        .findFirst()
                        .orElseThrow()),
                VoteQuorumPolicy.class);
        assertThat(policy.getMetadata().getName()).isEqualTo("edge");
        assertThat(policy.getSpec().getClusterName()).isEqualTo("edge");
        assertThat(policy.getSpec().getFencing().getMode().name()).isEqualTo("DryRun");
        HasMetadata monitor = edge.stream()
                .filter(o -> o.getKind().equals("ServiceMonitor"))
                .findFirst()
                .orElseThrow();
        assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");

        List<HasMetadata> fencing = objects(template(
                "fencing",
                "vq-fencing",
                "--set",
                String.join(
                        ",",
                        "namespace.create=true",
                        "agent.selfFencing.enabled=true",
                        "agent.selfFencing.watchdogDevice=/dev/watchdog1",
                        "agent.selfFencing.watchdogTimeout=20s",
                        "operator.replicas=1",
                        "cleanupOnUninstall=false")));
        Container fencingAgent = only(fencing, DaemonSet.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(fencingAgent.getSecurityContext().getPrivileged()).isTrue();
        assertThat(env(fencingAgent))
                .containsEntry("VOTEQUORUM_AGENT_WATCHDOG_DEVICE", "/dev/watchdog1")
                .containsEntry("VOTEQUORUM_AGENT_WATCHDOG_TIMEOUT", "20s");
        assertThat(fencingAgent.getVolumeMounts())
                .anyMatch(m -> m.getMountPath().equals("/dev/watchdog1"));
        assertThat(only(fencing, DaemonSet.class)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getVolumes())
                .anyMatch(v -> v.getHostPath() != null
                        && v.getHostPath().getPath().equals("/dev/watchdog1")
                        && v.getHostPath().getType().equals("CharDevice"));
        assertThat(fencing)
                .extracting(HasMetadata::getKind)
                .doesNotContain("Job", "PodDisruptionBudget", "ServiceMonitor", "VoteQuorumPolicy");

        applyAll(edge);
        applyAll(fencing);
        assertThat(admin.resources(VoteQuorumPolicy.class).withName("edge").get())
                .isNotNull();
        assertThat(admin.genericKubernetesResources("monitoring.coreos.com/v1", "ServiceMonitor")
                        .inNamespace("vq-edge")
                        .withName("edge-vq")
                        .get())
                .isNotNull();

        // The release's agent, with a token bound to its pod on node-a, writes node-a's QuorumStatus only.
        String token = agentToken("vq-edge", "edge-vq-agent", "node-a");
        try (KubernetesClient agentClient = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(api.kubeconfigWithToken("127.0.0.1", token)))
                .build()) {
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        try {
                            agentClient.resource(shell("node-b")).create();
                            admin.resources(QuorumStatus.class)
                                    .withName("node-b")
                                    .withTimeout(10, TimeUnit.SECONDS)
                                    .delete();
                            fail("the admission policy does not hold edge-vq-agent to its node yet");
                        } catch (KubernetesClientException e) {
                            assertThat(e.getCode()).as(e.getMessage()).isIn(403, 422);
                            assertThat(e.getMessage())
                                    .contains("may write only the quorumstatuses named node-a, not node-b");
                        }
                    });
            agentClient.resource(shell("node-a")).create();
        }
        assertThat(admin.resources(QuorumStatus.class).withName("node-a").get()).isNotNull();
    }

    /** Each bad value, and what helm must say about it. */
    static final Map<String, List<String>> BAD_VALUES = new LinkedHashMap<>();

    static {
        BAD_VALUES.put("operator.replicas=0", List.of("/operator/replicas", "minimum: got 0, want 1"));
        BAD_VALUES.put("image.pullPolicy=Sometimes", List.of("/image/pullPolicy", "Always", "IfNotPresent", "Never"));
        BAD_VALUES.put("examplePolicy.mode=Enforcing", List.of("/examplePolicy/mode", "Disabled", "DryRun", "Enforce"));
        BAD_VALUES.put("agent.leaseDuration=10 seconds", List.of("/agent/leaseDuration", "pattern"));
        BAD_VALUES.put(
                "agent.selfFencing.watchdogTimeout=10",
                List.of("/agent/selfFencing/watchdogTimeout", "got number, want string"));
        BAD_VALUES.put("agent.hardened=yes", List.of("/agent/hardened", "got string, want boolean"));
        BAD_VALUES.put(
                "agent.leaseDurations=10s", List.of("/agent", "additional properties 'leaseDurations' not allowed"));
        BAD_VALUES.put("operator.maxHeap=lots", List.of("/operator/maxHeap", "pattern"));
    }

    @Test
    void theSchemaRefusesBadValuesAndSaysWhich() throws Exception {
        for (Map.Entry<String, List<String>> bad : BAD_VALUES.entrySet()) {
            Result result = helm("template", "votequorum", CHART.toString(), "--set", bad.getKey());
            assertThat(result.exit()).as("--set %s was accepted", bad.getKey()).isNotZero();
            assertThat(result.err())
                    .as("--set %s", bad.getKey())
                    .contains("values don't meet the specifications of the schema")
                    .contains(bad.getValue());
        }
        // A label value of true unquoted in a values file is a boolean, which a nodeSelector cannot hold.
        Result unquoted = helm(
                "template",
                "votequorum",
                CHART.toString(),
                "-f",
                writeValues("agent: {nodeSelector: {votequorum.io/corosync: true}}")
                        .toString());
        assertThat(unquoted.exit()).isNotZero();
        assertThat(unquoted.err()).contains("/agent/nodeSelector/votequorum.io~1corosync", "got boolean, want string");

        Result both = helm(
                "template",
                "votequorum",
                CHART.toString(),
                "--set",
                "agent.hardened=true,agent.selfFencing.enabled=true");
        assertThat(both.exit()).isNotZero();
        assertThat(both.err()).contains("agent.hardened and agent.selfFencing.enabled exclude each other");

        Result badName = helm(
                "template",
                "votequorum",
                CHART.toString(),
                "--set",
                "examplePolicy.enabled=true,examplePolicy.clusterName=Lab_1");
        assertThat(badName.exit()).isNotZero();
        assertThat(badName.err()).contains("examplePolicy.name: \"Lab_1\" is not a valid object name");
    }

    // ---- the pod settings of deploy/ ----

    /** The agent's and the operator's pods as the chart renders them carry what deploy/ gives them. */
    private static void assertSamePods(List<HasMetadata> chart, List<HasMetadata> deploy, String what) {
        PodSpec chartAgent =
                only(chart, DaemonSet.class).getSpec().getTemplate().getSpec();
        PodSpec deployAgent =
                only(deploy, DaemonSet.class).getSpec().getTemplate().getSpec();
        assertSamePod(chartAgent, deployAgent, what + " agent");
        PodSpec chartOperator =
                only(chart, Deployment.class).getSpec().getTemplate().getSpec();
        PodSpec deployOperator =
                only(deploy, Deployment.class).getSpec().getTemplate().getSpec();
        assertSamePod(chartOperator, deployOperator, what + " operator");
        assertThat(chartOperator.getSecurityContext()).as(what).isEqualTo(deployOperator.getSecurityContext());
        assertThat(only(chart, Deployment.class).getSpec().getReplicas())
                .as(what)
                .isEqualTo(only(deploy, Deployment.class).getSpec().getReplicas());
    }

    private static void assertSamePod(PodSpec chart, PodSpec deploy, String what) {
        assertThat(chart.getServiceAccountName()).as(what).isEqualTo(deploy.getServiceAccountName());
        assertThat(chart.getHostNetwork()).as(what).isEqualTo(deploy.getHostNetwork());
        assertThat(chart.getDnsPolicy()).as(what).isEqualTo(deploy.getDnsPolicy());
        assertThat(chart.getPriorityClassName()).as(what).isEqualTo(deploy.getPriorityClassName());
        assertThat(chart.getNodeSelector()).as(what).isEqualTo(deploy.getNodeSelector());
        assertThat(chart.getTolerations()).as(what).isEqualTo(deploy.getTolerations());
        assertThat(chart.getTerminationGracePeriodSeconds())
                .as(what)
                .isEqualTo(deploy.getTerminationGracePeriodSeconds());
        assertThat(byName(chart.getVolumes())).as(what).isEqualTo(byName(deploy.getVolumes()));
        Container c = chart.getContainers().get(0);
        Container d = deploy.getContainers().get(0);
        assertThat(c.getImage()).as(what).isEqualTo(d.getImage());
        assertThat(c.getArgs()).as(what).isEqualTo(d.getArgs());
        assertThat(c.getSecurityContext()).as(what).isEqualTo(d.getSecurityContext());
        assertThat(c.getResources()).as(what).isEqualTo(d.getResources());
        assertThat(c.getPorts()).as(what).isEqualTo(d.getPorts());
        assertThat(c.getLivenessProbe()).as(what).isEqualTo(d.getLivenessProbe());
        assertThat(c.getReadinessProbe()).as(what).isEqualTo(d.getReadinessProbe());
        assertThat(c.getStartupProbe()).as(what).isEqualTo(d.getStartupProbe());
        assertThat(c.getVolumeMounts()).as(what).containsExactlyInAnyOrderElementsOf(d.getVolumeMounts());
        assertThat(c.getEnv()).as(what).containsAll(d.getEnv());
    }

    private static Map<String, Volume> byName(List<Volume> volumes) {
        return volumes.stream().collect(Collectors.toMap(Volume::getName, v -> v));
    }

    private static Map<String, String> env(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv()) {
            env.put(var.getName(), var.getValue());
        }
        return env;
    }

    private static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
        List<T> found =
                objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("one %s", type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private static List<String> keys(List<HasMetadata> objects) {
        return objects.stream()
                .map(o -> o.getKind() + "/"
                        + (o.getMetadata().getNamespace() == null
                                ? ""
                                : o.getMetadata().getNamespace()) + "/"
                        + o.getMetadata().getName())
                .toList();
    }

    // ---- the API server ----

    /** Applies every object by server-side apply, as `kubectl apply --server-side`, namespaces first. */
    private static void applyAll(List<HasMetadata> objects) {
        List<HasMetadata> ordered = new ArrayList<>(objects);
        ordered.sort(Comparator.comparing(
                o -> !(o.getKind().equals("Namespace") || o.getKind().equals("CustomResourceDefinition"))));
        for (HasMetadata object : ordered) {
            try {
                admin.resource(object)
                        .fieldManager(FIELD_MANAGER)
                        .forceConflicts()
                        .serverSideApply();
            } catch (KubernetesClientException e) {
                fail("the API server refused " + keys(List.of(object)) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Enough of the Prometheus Operator's ServiceMonitor CRD for the API server to serve the kind. */
    private static void installServiceMonitorCrd() {
        CustomResourceDefinition crd = Serialization.unmarshal("""
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata: {name: servicemonitors.monitoring.coreos.com}
                spec:
                  group: monitoring.coreos.com
                  scope: Namespaced
                  names:
                    kind: ServiceMonitor
                    listKind: ServiceMonitorList
                    plural: servicemonitors
                    singular: servicemonitor
                  versions:
                    - name: v1
                      served: true
                      storage: true
                      schema:
                        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
                """, CustomResourceDefinition.class);
        admin.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
        admin.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName(crd.getMetadata().getName())
                .waitUntilCondition(
                        c -> c != null
                                && c.getStatus() != null
                                && c.getStatus().getConditions() != null
                                && c.getStatus().getConditions().stream()
                                        .anyMatch(
                                                s -> "Established".equals(s.getType()) && "True".equals(s.getStatus())),
                        60,
                        TimeUnit.SECONDS);
    }

    /** A pod of the service account on the node, and a token bound to it as the kubelet would mount. */
    private static String agentToken(String namespace, String serviceAccount, String node) {
        if (admin.nodes().withName(node).get() == null) {
            admin.resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName(node)
                            .addToLabels("votequorum.io/corosync", "true")
                            .endMetadata()
                            .build())
                    .create();
        }
        Pod pod = admin.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("agent-" + node)
                        .withNamespace(namespace)
                        .endMetadata()
                        .withNewSpec()
                        .withServiceAccountName(serviceAccount)
                        .withNodeName(node)
                        .addNewContainer()
                        .withName("agent")
                        .withImage("votequorum-operator")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        return admin.serviceAccounts()
                .inNamespace(namespace)
                .withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .withNewBoundObjectRef()
                        .withApiVersion("v1")
                        .withKind("Pod")
                        .withName(pod.getMetadata().getName())
                        .withUid(pod.getMetadata().getUid())
                        .endBoundObjectRef()
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
    }

    private static QuorumStatus shell(String name) {
        QuorumStatus qs = new QuorumStatus();
        qs.setMetadata(new ObjectMetaBuilder().withName(name).build());
        qs.setStatus(null);
        return qs;
    }

    // ---- helm and kubectl ----

    record Result(int exit, String out, String err) {}

    /** The helm from `make helm`: -Dvotequorum.helm, else hack/build-helm.sh's cache. */
    private static Path locateHelm() throws IOException {
        String configured = System.getProperty("votequorum.helm", System.getenv("VQ_HELM"));
        Path binary;
        if (configured != null && !configured.isBlank()) {
            binary = Path.of(configured);
        } else {
            String version = Files.readAllLines(CorosyncCluster.REPO.resolve("hack/helm/go.mod")).stream()
                    .map(String::trim)
                    .filter(l -> l.startsWith("require helm.sh/helm/v3 "))
                    .map(l -> l.split("\\s+")[2].replaceFirst("^v", ""))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no helm.sh/helm/v3 version in hack/helm/go.mod"));
            String cache = System.getenv("VQ_CACHE") != null
                    ? System.getenv("VQ_CACHE")
                    : System.getProperty("user.home") + "/.cache/votequorum-operator";
            binary = Path.of(cache, "helm", version, "bin", "helm");
        }
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " is missing: run `make helm`, which builds helm once with "
                    + "hack/build-helm.sh (or pass -Dvotequorum.helm=/path/to/helm)");
        }
        return binary;
    }

    private static Result helm(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(helm.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        // helm's own configuration and caches stay out of the user's home; it talks to no cluster here.
        for (String dir : List.of("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")) {
            builder.environment().put(dir, helmHome.resolve(dir).toString());
        }
        builder.environment()
                .put("KUBECONFIG", helmHome.resolve("no-kubeconfig").toString());
        return run(builder, "helm " + String.join(" ", args));
    }

    private static String template(String release, String namespace, String... extra)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("template", release, CHART.toString(), "--namespace", namespace));
        args.addAll(List.of(extra));
        Result result = helm(args.toArray(String[]::new));
        assertThat(result.exit())
                .as("helm %s:%n%s", String.join(" ", args), result.err())
                .isZero();
        return result.out();
    }

    /** What `kubectl kustomize DIR` renders, with the kubectl built alongside the API server. */
    private static String kustomize(String dir) throws IOException, InterruptedException {
        Result result = run(
                new ProcessBuilder(
                        KubeApiServer.kubectl().toString(),
                        "kustomize",
                        CorosyncCluster.REPO.resolve(dir).toString()),
                "kubectl kustomize " + dir);
        assertThat(result.exit())
                .as("kubectl kustomize %s: %s", dir, result.err())
                .isZero();
        return result.out();
    }

    private static Result run(ProcessBuilder builder, String what) throws IOException, InterruptedException {
        Path out = Files.createTempFile(helmHome, "out", ".txt");
        Path err = Files.createTempFile(helmHome, "err", ".txt");
        Process process =
                builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(what + " did not finish within 120 s");
        }
        Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return result;
    }

    private static List<HasMetadata> objects(String yaml) {
        return admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                .items();
    }

    private static Path writeValues(String yaml) throws IOException {
        Path file = Files.createTempFile(helmHome, "values", ".yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
