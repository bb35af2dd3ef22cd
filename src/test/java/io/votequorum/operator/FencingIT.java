package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.votequorum.model.Conditions;
import io.votequorum.model.FenceStage;
import io.votequorum.model.FencingMode;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.NodeVotes;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.RingId;
import io.votequorum.model.UnmappedNode;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.model.WatchdogState;
import io.votequorum.model.WatchdogStatus;
import io.votequorum.testenv.KubeApiServer;
import io.votequorum.testenv.OperatorProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator, started from the packaged jar, against a real API server; the agents' reports and
 * Leases are written by the test to act out a partition, and Nodes and Pods are objects.
 */
class FencingIT {

    private static final String NAMESPACE = "votequorum-system";
    private static final String APPS = "apps";
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final Path LOGS = Path.of("target", "fencing-it");

    private static KubeApiServer api;
    private static KubernetesClient client;
    private static OperatorProcess operator;
    private static final Set<String> heartbeating = ConcurrentHashMap.newKeySet();
    /** Nodes per corosync cluster: a real agent lists the whole nodelist, dead nodes included. */
    private static final Map<String, Integer> SIZES = new ConcurrentHashMap<>(Map.of("lab", 3));

    private static final ScheduledExecutorService agents = Executors.newSingleThreadScheduledExecutor();

    @BeforeAll
    static void start() throws IOException {
        api = KubeApiServer.start().withCrds();
        client = api.client();
        for (String ns : List.of(NAMESPACE, APPS)) {
            client.resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .create();
        }
        for (int i = 1; i <= 3; i++) {
            client.resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName("node" + i)
                            .endMetadata()
                            .build())
                    .create();
            heartbeating.add("node" + i);
        }
        RingId all = new RingId(1, 0x10);
        for (int i = 1; i <= 3; i++) {
            report(i, true, all, 1, 2, 3);
        }
        agents.scheduleAtFixedRate(FencingIT::renewLeases, 0, 2, TimeUnit.SECONDS);

        Files.createDirectories(LOGS);
        Files.writeString(LOGS.resolve("kubeconfig.yaml"), api.kubeconfig());
        operator = startOperator();
    }

    private static OperatorProcess startOperator() throws IOException {
        return OperatorProcess.start(LOGS.resolve("kubeconfig.yaml"), NAMESPACE, LOGS, List.of());
    }

    @AfterAll
    static void stop() {
        agents.shutdownNow();
        if (operator != null) {
            operator.close();
        }
        if (api != null) {
            api.close();
        }
    }

    /** What node I's agent would write: its quorum, ring and members. */
    static void report(int node, boolean quorate, RingId ring, int... members) {
        report("lab", "node", node, quorate, ring, members);
    }

    /** The same for the Kubernetes node {@code prefix + I} of corosync cluster {@code cluster}. */
    static void report(String cluster, String prefix, int node, boolean quorate, RingId ring, int... members) {
        String name = prefix + node;
        QuorumStatus existing =
                client.resources(QuorumStatus.class).withName(name).get();
        if (existing == null) {
            QuorumStatus shell = new QuorumStatus();
            shell.setMetadata(new ObjectMetaBuilder().withName(name).build());
            shell.setStatus(null);
            client.resource(shell).create();
        }
        QuorumStatus report = new QuorumStatus();
        report.setMetadata(new ObjectMetaBuilder().withName(name).build());
        report.setSpec(null);
        report.getStatus().setNodeName(name);
        report.getStatus().setNodeId((long) node);
        report.getStatus().setClusterName(cluster);
        report.getStatus().setQuorate(quorate);
        report.getStatus().setRingId(ring);
        int size = SIZES.getOrDefault(cluster, members.length);
        Set<Integer> in = Arrays.stream(members).boxed().collect(Collectors.toSet());
        // As an agent stamps them: each node with the time it was first seen in its present state.
        Map<Long, Member> before = new HashMap<>();
        if (existing != null && existing.getStatus() != null) {
            existing.getStatus().getMembers().forEach(m -> before.put(m.nodeId(), m));
        }
        String now = Instant.now().toString();
        List<Member> list = new ArrayList<>();
        for (int m = 1; m <= size; m++) {
            MemberState state = in.contains(m) ? MemberState.Member : MemberState.Dead;
            Member was = before.get((long) m);
            String since = was != null && was.state() == state && was.since() != null ? was.since() : now;
            list.add(new Member(m, prefix + m, 1, state, since));
        }
        report.getStatus().setMembers(list);
        report.getStatus().setMemberCount(members.length);
        report.getStatus().setNodeVotes(1);
        report.getStatus().setExpectedVotes(size);
        report.getStatus().setTotalVotes(members.length);
        report.getStatus().setQuorum(size / 2 + 1);
        client.resource(report)
                .subresource("status")
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager("test-agent")
                        .withForce(true)
                        .build());
    }

    static void renewLeases() {
        for (String node : heartbeating) {
            try {
                client.resource(new LeaseBuilder()
                                .withNewMetadata()
                                .withName(node)
                                .withNamespace(NAMESPACE)
                                .endMetadata()
                                .withNewSpec()
                                .withHolderIdentity(node)
                                .withLeaseDurationSeconds(10)
                                .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                                .endSpec()
                                .build())
                        .fieldManager("test-agent")
                        .forceConflicts()
                        .serverSideApply();
            } catch (RuntimeException e) {
                // the API server is busy; the next round renews
            }
        }
    }

    static Node node(String name) {
        return client.nodes().withName(name).get();
    }

    static List<String> taints(String name) {
        return Optional.ofNullable(node(name).getSpec().getTaints()).orElse(List.of()).stream()
                .map(Taints::id)
                .filter(id -> !id.startsWith("node.kubernetes.io/not-ready"))
                .toList();
    }

    /** The CorosyncQuorum Node condition as "status reason". */
    static String quorumCondition(String name) {
        return Optional.ofNullable(node(name).getStatus()).map(s -> s.getConditions()).orElse(List.of()).stream()
                .filter(c -> "CorosyncQuorum".equals(c.getType()))
                .map(c -> c.getStatus() + " " + c.getReason())
                .findFirst()
                .orElse("missing");
    }

    static VoteQuorumPolicy policy() {
        return policy("lab");
    }

    static VoteQuorumPolicy policy(String name) {
        return client.resources(VoteQuorumPolicy.class).withName(name).get();
    }

    /** Nodes prefix1..prefixN, their agents heartbeating, and a policy for their cluster in the given mode. */
    static void cluster(String name, String prefix, int size, FencingMode mode) {
        cluster(name, prefix, size, mode, policy -> {});
    }

    static void cluster(String name, String prefix, int size, FencingMode mode, Consumer<VoteQuorumPolicy> customize) {
        SIZES.put(name, size);
        for (int i = 1; i <= size; i++) {
            client.resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName(prefix + i)
                            .endMetadata()
                            .build())
                    .create();
            heartbeating.add(prefix + i);
        }
        VoteQuorumPolicy policy = new VoteQuorumPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
        policy.getSpec().setClusterName(name);
        policy.getSpec().getFencing().setMode(mode);
        policy.getSpec().getFencing().setEvictAfter("2s");
        policy.getSpec().getFencing().setFenceTimeout("1h");
        customize.accept(policy);
        client.resource(policy).create();
    }

    /** What an agent reports once it applied its spec: Applied=True for the spec's generation. */
    static void acknowledge(String name) {
        QuorumStatus qs = client.resources(QuorumStatus.class).withName(name).get();
        QuorumStatus ack = new QuorumStatus();
        ack.setMetadata(new ObjectMetaBuilder().withName(name).build());
        ack.setSpec(null);
        ack.getStatus().setMembers(null); // only the fields an applier owns: leave the report's lists alone
        ack.getStatus().setFlags(null);
        ack.getStatus().setObservedGeneration(qs.getMetadata().getGeneration());
        ack.getStatus()
                .setConditions(List.of(Conditions.of(
                        "Applied",
                        Conditions.Status.True,
                        "Applied",
                        "ok",
                        qs.getMetadata().getGeneration())));
        ack.getStatus()
                .setConditions(Conditions.merge(List.of(), ack.getStatus().getConditions(), Instant.now()));
        client.resource(ack)
                .subresource("status")
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager("test-applier")
                        .withForce(true)
                        .build());
    }

    static Condition condition(String policy, String type) {
        return Conditions.find(policy(policy).getStatus().getConditions(), type).orElseThrow();
    }

    @Test
    void policyVotesReachTheAgentsAndAppliedFollowsTheirReports() {
        cluster("votes", "votes", 3, FencingMode.DryRun, policy -> {
            policy.getSpec().setVotes(List.of(new NodeVotes("votes1", null, 2)));
            policy.getSpec().setExpectedVotes(4);
        });
        RingId ring = new RingId(1, 0x50);
        for (int i = 1; i <= 3; i++) {
            report("votes", "votes", i, true, ring, 1, 2, 3);
        }
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            QuorumStatus one =
                    client.resources(QuorumStatus.class).withName("votes1").get();
            QuorumStatus two =
                    client.resources(QuorumStatus.class).withName("votes2").get();
            assertThat(one.getSpec().getVotes()).isEqualTo(2);
            assertThat(one.getSpec().getExpectedVotes()).isEqualTo(4);
            assertThat(one.getSpec().getPolicy()).isEqualTo("votes");
            assertThat(two.getSpec().getVotes())
                    .as("a node no entry names keeps corosync's votes")
                    .isNull();
            assertThat(two.getSpec().getExpectedVotes()).isEqualTo(4);
            assertThat(condition("votes", "Valid").getStatus()).isEqualTo("True");
            assertThat(condition("votes", "Applied").getReason()).isEqualTo("Waiting");
            assertThat(condition("votes", "Applied").getMessage())
                    .as("what the new layout tolerates, before it is applied")
                    .endsWith("to apply generation 1; the new layout: 4 votes on 3 nodes, quorum 3, 1 to spare:"
                            + " losing votes1 (2) alone breaks quorum");
        });
        for (int i = 1; i <= 3; i++) {
            acknowledge("votes" + i);
        }
        await().atMost(STEP)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(condition("votes", "Applied").getStatus())
                        .as(condition("votes", "Applied").getMessage())
                        .isEqualTo("True"));
        await().atMost(STEP).untilAsserted(() -> {
            List<String> events = eventsOf("votes");
            // The reports arrive one by one, so the specs may be handed down in more than one round.
            assertThat(String.join(
                            "\n",
                            events.stream()
                                    .filter(e ->
                                            e.startsWith("VotesWritten generation 1 handed " + "to the agents of "))
                                    .toList()))
                    .contains("votes1", "votes2", "votes3");
            assertThat(events)
                    .contains("Applied every agent applied the votes of generation 1; the layout: 4 votes on 3 nodes,"
                            + " quorum 3, 1 to spare: losing votes1 (2) alone breaks quorum");
        });
    }

    @Test
    void eachRejectedPolicySaysWhatIsWrongAndWhatToDo() {
        cluster(
                "ghost",
                "ghost",
                3,
                FencingMode.Enforce,
                policy -> policy.getSpec().setVotes(List.of(new NodeVotes("nobody", null, 2))));
        cluster(
                "halves",
                "halves",
                4,
                FencingMode.Enforce,
                policy -> policy.getSpec().setExpectedVotes(2));
        cluster("maint", "maint", 4, FencingMode.Enforce, policy -> {
            policy.getSpec().setExpectedVotes(2);
            policy.getSpec().setAllowUnsafe(true);
        });
        for (String cluster : List.of("ghost", "halves", "maint")) {
            int size = cluster.equals("ghost") ? 3 : 4;
            int[] all = IntStream.rangeClosed(1, size).toArray();
            for (int i = 1; i <= size; i++) {
                report(cluster, cluster, i, true, new RingId(1, 0x60), all);
            }
        }
        VoteQuorumPolicy twin = new VoteQuorumPolicy();
        twin.setMetadata(new ObjectMetaBuilder().withName("ghost-again").build());
        twin.getSpec().setClusterName("ghost");
        client.resource(twin).create();
        VoteQuorumPolicy nowhere = new VoteQuorumPolicy();
        nowhere.setMetadata(new ObjectMetaBuilder().withName("nowhere").build());
        nowhere.getSpec().setClusterName("nowhere");
        client.resource(nowhere).create();

        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(condition("ghost", "Valid").getReason()).isEqualTo("UnknownNode");
            assertThat(condition("ghost", "Valid").getMessage())
                    .contains("names node nobody, which is not a node of "
                            + "this corosync cluster; known nodes: ghost1, ghost2, ghost3");
            assertThat(condition("ghost", "Fencing").getReason()).isEqualTo("InvalidPolicy");
            assertThat(condition("ghost-again", "Valid").getReason()).isEqualTo("DuplicatePolicy");
            assertThat(condition("ghost-again", "Valid").getMessage()).contains("policy ghost already governs");
            assertThat(condition("halves", "Valid").getReason()).isEqualTo("SplitBrainPossible");
            assertThat(condition("halves", "Valid").getMessage()).contains("two disjoint halves could both be quorate");
            assertThat(condition("nowhere", "Valid").getReason()).isEqualTo("UnknownCluster");
            assertThat(condition("maint", "Valid").getStatus()).isEqualTo("True");
            assertThat(condition("maint", "Unsafe").getReason()).isEqualTo("SplitBrainPossible");
        });
        assertThat(client.resources(QuorumStatus.class)
                        .withName("ghost1")
                        .get()
                        .getSpec()
                        .getPolicy())
                .as("nothing half-applied")
                .isNull();
        assertThat(events()).anyMatch(e -> e.startsWith("Unsafe allowUnsafe is set"));
    }

    @Test
    void dryRunChangesNothingAndItsEventsSayWhatItWouldDo() {
        cluster("dry", "dry", 3, FencingMode.DryRun);
        RingId cut = new RingId(1, 0x24);
        report("dry", "dry", 1, true, cut, 1, 2);
        report("dry", "dry", 2, true, cut, 1, 2);
        report("dry", "dry", 3, false, new RingId(3, 0x24), 3);

        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(policy("dry").getStatus().getFencedNodes())
                    .singleElement()
                    .satisfies(f -> assertThat(f.nodeName()).isEqualTo("dry3"))
                    .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Evicted));
            assertThat(events())
                    .anyMatch(e -> e.startsWith("DryRun would cordon and taint dry3"))
                    .anyMatch(e -> e.startsWith("DryRun would evict the pods of dry3"));
        });
        assertThat(node("dry3").getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
        assertThat(taints("dry3")).isEmpty();
        assertThat(node("dry3").getMetadata().getAnnotations()).doesNotContainKey(FenceAnnotation.KEY);
        assertThat(Conditions.find(policy("dry").getStatus().getConditions(), "Fencing")
                        .orElseThrow()
                        .getMessage())
                .contains("dry run: nothing is changed");
    }

    @Test
    void aTwoTwoSplitFencesNothingAndThePolicySaysWhy() {
        cluster("split", "split", 4, FencingMode.Enforce);
        report("split", "split", 1, false, new RingId(1, 0x34), 1, 2);
        report("split", "split", 2, false, new RingId(1, 0x34), 1, 2);
        report("split", "split", 3, false, new RingId(3, 0x34), 3, 4);
        report("split", "split", 4, false, new RingId(3, 0x34), 3, 4);

        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            var fencing = Conditions.find(policy("split").getStatus().getConditions(), "Fencing")
                    .orElseThrow();
            assertThat(fencing.getStatus()).isEqualTo("False");
            assertThat(fencing.getMessage()).isEqualTo("no node with a fresh heartbeat reports quorum");
            assertThat(Conditions.find(policy("split").getStatus().getConditions(), "Quorate")
                            .orElseThrow()
                            .getStatus())
                    .isEqualTo("Unknown");
        });
        for (int i = 1; i <= 4; i++) {
            assertThat(taints("split" + i)).isEmpty();
        }
        await().atMost(STEP)
                .untilAsserted(() -> assertThat(quorumCondition("split1")).isEqualTo("Unknown NoSettledQuorateView"));
        // The Warning once the missing quorum has lasted: not for every membership change passing through.
        await().atMost(STEP)
                .untilAsserted(() -> assertThat(eventsOf("split"))
                        .filteredOn(e -> e.startsWith("NotFencing no node with a fresh heartbeat reports quorum"))
                        .hasSize(1));
    }

    @Test
    void aStepTheApiServerRefusesShowsInTheConditionsAndAnEventAndIsRetried() {
        cluster("stuck", "stuck", 3, FencingMode.Enforce);
        // An admission policy refuses every change to Node stuck3, as a webhook or a policy engine might.
        client.resource("""
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: test-freeze-stuck3}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                    - {apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [nodes]}
                  validations:
                  - expression: "object.metadata.name != 'stuck3'"
                    message: stuck3 is frozen by the test
                """).create();
        client.resource("""
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: test-freeze-stuck3}
                spec: {policyName: test-freeze-stuck3, validationActions: [Deny]}
                """).create();
        // The policy takes effect a moment after it is created: wait until it refuses a change.
        await().atMost(STEP).pollInterval(Duration.ofMillis(200)).until(() -> {
            try {
                client.nodes().withName("stuck3").edit(n -> {
                    n.getMetadata().setLabels(Map.of("example.com/probe", String.valueOf(System.nanoTime())));
                    return n;
                });
                return false;
            } catch (KubernetesClientException e) {
                return e.getMessage().contains("stuck3 is frozen by the test");
            }
        });
        RingId cut = new RingId(1, 0x64);
        report("stuck", "stuck", 3, false, new RingId(3, 0x64), 3);
        report("stuck", "stuck", 1, true, cut, 1, 2);
        report("stuck", "stuck", 2, true, cut, 1, 2);

        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            var actions = condition("stuck", "ActionsSucceeded");
            assertThat(actions.getStatus()).isEqualTo("False");
            assertThat(actions.getReason()).isEqualTo("ActionFailed");
            assertThat(actions.getMessage())
                    .startsWith("cordon stuck3 failed: ")
                    .contains("stuck3 is frozen by the test", "the next reconcile tries again");
        });
        assertThat(eventsOf("stuck"))
                .anyMatch(e -> e.startsWith("ActionFailed cordon stuck3 failed: ")
                        && e.contains("stuck3 is frozen by the test"));
        assertThat(node("stuck3").getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);

        client.resources(ValidatingAdmissionPolicyBinding.class)
                .withName("test-freeze-stuck3")
                .delete();
        client.resources(ValidatingAdmissionPolicy.class)
                .withName("test-freeze-stuck3")
                .delete();
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(node("stuck3").getSpec().getUnschedulable()).isTrue();
            assertThat(condition("stuck", "ActionsSucceeded").getStatus()).isEqualTo("True");
        });
    }

    @Test
    void aNodeThatMapsToNoCorosyncNodeIsShownWithTheReasonAndNeverFenced() {
        cluster("mapping", "mapping", 3, FencingMode.Enforce);
        client.nodes().withName("mapping3").edit(n -> {
            n.getMetadata().setLabels(Map.of(VoteQuorumApi.NODE_ID_LABEL, "5"));
            return n;
        });
        RingId cut = new RingId(1, 0x74);
        report("mapping", "mapping", 3, false, new RingId(3, 0x74), 3);
        report("mapping", "mapping", 1, true, cut, 1, 2);
        report("mapping", "mapping", 2, true, cut, 1, 2);

        await().atMost(STEP)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(policy("mapping").getStatus().getUnmappedNodes())
                        .containsExactly(new UnmappedNode(
                                "mapping3", VoteQuorumApi.NODE_ID_LABEL + "=5 but its agent reports corosync node 3")));
        assertThat(taints("mapping3")).isEmpty();
        assertThat(policy("mapping").getStatus().getFencedNodes()).isEmpty();
    }

    @Test
    void aStormBeyondMaxFencedNodesFencesNothingNewAndSaysSo() {
        cluster("storm", "storm", 5, FencingMode.Enforce);
        RingId lost = new RingId(1, 0x44);
        // The lost nodes' reports land first: until then the operator knows no node 4 or 5, as these
        // reports list members only (a real agent also lists the dead nodes).
        report("storm", "storm", 4, false, new RingId(4, 0x44), 4);
        report("storm", "storm", 5, false, new RingId(5, 0x44), 5);
        report("storm", "storm", 1, true, lost, 1, 2, 3);
        report("storm", "storm", 2, true, lost, 1, 2, 3);
        report("storm", "storm", 3, true, lost, 1, 2, 3);

        await().atMost(STEP)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                Conditions.find(policy("storm").getStatus().getConditions(), "Fencing")
                                        .orElseThrow()
                                        .getMessage())
                        .contains("2 nodes are outside the quorate partition", "maxFencedNodes is 1"));
        assertThat(taints("storm4")).isEmpty();
        assertThat(taints("storm5")).isEmpty();
    }

    @Test
    void staleOrConflictingReportsFenceNothing() {
        // Stale: the only quorate reports come from agents whose Leases ran out.
        cluster("stale", "stale", 3, FencingMode.Enforce);
        heartbeating.remove("stale1");
        heartbeating.remove("stale2");
        report("stale", "stale", 1, true, new RingId(1, 0x90), 1, 2);
        report("stale", "stale", 2, true, new RingId(1, 0x90), 1, 2);
        report("stale", "stale", 3, false, new RingId(3, 0x90), 3);
        // Two settled views that both claim quorum: neither can be trusted.
        cluster(
                "rings",
                "rings",
                5,
                FencingMode.Enforce,
                p -> p.getSpec().getFencing().setMaxFencedNodes(5));
        for (int i = 1; i <= 3; i++) {
            report("rings", "rings", i, true, new RingId(1, 0x94), 1, 2, 3);
        }
        report("rings", "rings", 4, true, new RingId(4, 0x94), 4, 5);
        report("rings", "rings", 5, true, new RingId(4, 0x94), 4, 5);
        // One ring reported with two memberships.
        cluster("twist", "twist", 3, FencingMode.Enforce);
        report("twist", "twist", 1, true, new RingId(1, 0x98), 1, 2);
        report("twist", "twist", 2, true, new RingId(1, 0x98), 1, 2);
        report("twist", "twist", 3, true, new RingId(1, 0x98), 1, 2, 3);

        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            expiredLease("stale1"); // again each round, in case a renewal already under way landed after it
            expiredLease("stale2");
            assertThat(condition("stale", "Fencing").getMessage())
                    .isEqualTo("no node with a fresh heartbeat reports quorum");
            assertThat(condition("rings", "Fencing").getMessage())
                    .startsWith("ambiguous: ring")
                    .endsWith("both report quorum");
            assertThat(condition("twist", "Fencing").getMessage())
                    .startsWith(
                            "conflicting reports: ring " + new RingId(1, 0x98) + " is reported with different members");
            for (String cluster : List.of("stale", "rings", "twist")) {
                assertThat(condition(cluster, "Fencing").getStatus()).isEqualTo("False");
                assertThat(condition(cluster, "Quorate").getStatus()).isEqualTo("Unknown");
            }
        });
        for (String node : List.of("stale3", "rings4", "rings5", "twist3")) {
            assertThat(node(node).getSpec().getUnschedulable()).as(node).isNotEqualTo(Boolean.TRUE);
            assertThat(taints(node)).as(node).isEmpty();
        }
        assertThat(policy("rings").getStatus().getFencedNodes()).isEmpty();
    }

    @Test
    void aWatchdogBackedNodeIsForcedOnlyAfterItsSafeTimeAndOneWithoutAWorkingWatchdogNever() {
        cluster("selff", "selff", 4, FencingMode.Enforce, p -> {
            p.getSpec().getFencing().setNoQuorumAction(NoQuorumAction.SelfFence);
            p.getSpec().getFencing().setSelfFenceAfter("3s");
            p.getSpec().getFencing().setSafetyMargin("2s");
            p.getSpec().getFencing().setFenceTimeout("4s");
            p.getSpec().getFencing().setMaxFencedNodes(2);
            p.getSpec().getFencing().setHealthyDelay("1s");
        });
        RingId all = new RingId(1, 0x70);
        for (int i = 1; i <= 4; i++) {
            report("selff", "selff", i, true, all, 1, 2, 3, 4);
        }
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            for (int i = 1; i <= 4; i++) {
                assertThat(client.resources(QuorumStatus.class)
                                .withName("selff" + i)
                                .get()
                                .getSpec()
                                .getSelfFenceAfter())
                        .as("selff%d armed", i)
                        .isEqualTo("3s");
            }
        });
        // selff4's watchdog works; selff3's device could not be opened, so it never counts as self-fenced.
        watchdog("selff4", new WatchdogStatus("/dev/watchdog", 2, WatchdogState.Armed, "3s", null, null));
        watchdog(
                "selff3",
                new WatchdogStatus(
                        "/dev/watchdog", null, WatchdogState.Unavailable, "3s", null, "cannot open /dev/watchdog"));
        await().atMost(STEP)
                .until(() -> client.resources(QuorumStatus.class)
                                .withName("selff4")
                                .get()
                                .getStatus()
                                .getWatchdog()
                        != null);

        RingId cut = new RingId(1, 0x74);
        report("selff", "selff", 1, true, cut, 1, 2);
        report("selff", "selff", 2, true, cut, 1, 2);
        report("selff", "selff", 3, false, new RingId(3, 0x74), 3);
        report("selff", "selff", 4, false, new RingId(4, 0x74), 4);
        // Two of four is no strict majority: first make it one lost node, so the partition can fence.
        await().atMost(STEP)
                .ignoreExceptions()
                .untilAsserted(() ->
                        assertThat(condition("selff", "Fencing").getMessage()).contains("not a strict majority"));
        assertThat(taints("selff3")).isEmpty();
        assertThat(taints("selff4")).isEmpty();

        RingId three = new RingId(1, 0x78);
        heartbeating.remove("selff4"); // cut off: its agent can no longer renew
        for (int i = 1; i <= 3; i++) {
            report("selff", "selff", i, true, three, 1, 2, 3);
        }
        await().atMost(STEP)
                .untilAsserted(() -> assertThat(taints("selff4")).contains("votequorum.io/inquorate:NoExecute"));
        // The absence starts when the members last saw selff4 in their ring: the latest of their stamps.
        Instant left = IntStream.rangeClosed(1, 3)
                .mapToObj(i -> client.resources(QuorumStatus.class)
                        .withName("selff" + i)
                        .get()
                        .getStatus()
                        .getMembers()
                        .get(3)
                        .since())
                .map(Instant::parse)
                .max(Instant::compareTo)
                .orElseThrow();
        // Safe at the absence + 3 s (selfFenceAfter) + 2 s (watchdog timeout) + 2 s (margin).
        Instant safe = left.plusSeconds(7);
        Duration beforeSafe = Duration.between(Instant.now(), safe).minusMillis(500);
        if (!beforeSafe.isNegative() && !beforeSafe.isZero()) {
            await().during(beforeSafe)
                    .atMost(STEP)
                    .until(() -> !taints("selff4").contains("node.kubernetes.io/out-of-service:NoExecute"));
        }
        await().atMost(STEP).untilAsserted(() -> {
            assertThat(taints("selff4")).contains("node.kubernetes.io/out-of-service:NoExecute");
            assertThat(policy("selff").getStatus().getFencedNodes())
                    .singleElement()
                    .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Fenced))
                    .satisfies(f -> assertThat(f.evidence()).contains("self-fenced", "/dev/watchdog"));
        });
        assertThat(FenceAnnotation.of(node("selff4").getMetadata().getAnnotations())
                        .orElseThrow()
                        .evidence())
                .contains("self-fenced");
        assertThat(eventsOf("selff")).anyMatch(e -> e.startsWith("Fenced selff4 Fenced: self-fenced"));

        assertThat(taints("selff1")).isEmpty();
        assertThat(taints("selff2")).isEmpty();

        // selff4 comes back; then selff3, whose watchdog is unavailable, is cut: evicted, never forced.
        heartbeating.add("selff4");
        allTogether("selff", 0x80);
        await().atMost(STEP).untilAsserted(() -> assertThat(taints("selff4")).isEmpty());
        RingId without3 = new RingId(1, 0x84);
        for (int i : new int[] {1, 2, 4}) {
            report("selff", "selff", i, true, without3, 1, 2, 4);
        }
        heartbeating.remove("selff3");
        report("selff", "selff", 3, false, new RingId(3, 0x84), 3);
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(taints("selff3")).contains("votequorum.io/inquorate:NoExecute");
            assertThat(condition("selff", "Fencing").getReason()).isEqualTo("AwaitingConfirmation");
            assertThat(condition("selff", "Fencing").getMessage())
                    .contains(
                            "selff3",
                            "not known to be off",
                            "it has no watchdog-backed self-fencing",
                            "kubectl annotate node selff3 votequorum.io/confirmed-off=");
        });
        Instant cut3 = Instant.parse(
                policy("selff").getStatus().getFencedNodes().get(0).since());
        // Well past the safe time a working watchdog would have had.
        Duration pastSafe = Duration.between(Instant.now(), cut3.plusSeconds(10));
        if (!pastSafe.isNegative() && !pastSafe.isZero()) {
            await().during(pastSafe)
                    .atMost(STEP)
                    .until(() -> !taints("selff3").contains("node.kubernetes.io/out-of-service:NoExecute"));
        }
        assertThat(policy("selff").getStatus().getFencedNodes())
                .singleElement()
                .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Evicted));
        assertThat(eventsOf("selff")).anyMatch(e -> e.startsWith("AwaitingConfirmation selff3 is outside"));
    }

    /** Every node of a cluster of four in one ring, reporting quorum. */
    static void allTogether(String cluster, int seq) {
        RingId ring = new RingId(1, seq);
        for (int i = 1; i <= 4; i++) {
            report(cluster, cluster, i, true, ring, 1, 2, 3, 4);
        }
    }

    /** What an agent reports of its watchdog. */
    static void watchdog(String name, WatchdogStatus watchdog) {
        QuorumStatus report = new QuorumStatus();
        report.setMetadata(new ObjectMetaBuilder().withName(name).build());
        report.setSpec(null);
        report.getStatus().setMembers(null);
        report.getStatus().setFlags(null);
        report.getStatus().setConditions(null);
        report.getStatus().setWatchdog(watchdog);
        // The report of the spec the agent sees now: the operator trusts a watchdog only from such a report.
        report.getStatus()
                .setObservedGeneration(client.resources(QuorumStatus.class)
                        .withName(name)
                        .get()
                        .getMetadata()
                        .getGeneration());
        client.resource(report)
                .subresource("status")
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager("test-watchdog")
                        .withForce(true)
                        .build());
    }

    static void expiredLease(String node) {
        client.resource(new LeaseBuilder()
                        .withNewMetadata()
                        .withName(node)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withHolderIdentity(node)
                        .withLeaseDurationSeconds(10)
                        .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(5))
                        .endSpec()
                        .build())
                .fieldManager("test-agent")
                .forceConflicts()
                .serverSideApply();
    }

    @Test
    void aCutNodeIsFencedAlongTheLadderAndUnfencedAfterTheHeal() throws Exception {
        client.resource(new NodeBuilder(node("node2"))
                        .editSpec()
                        .withUnschedulable(true)
                        .endSpec()
                        .build())
                .update();
        Pod web = client.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .withNamespace(APPS)
                        .addToLabels("app", "web")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node3")
                        .addNewContainer()
                        .withName("c")
                        .withImage("web")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        Pod db = client.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("db")
                        .withNamespace(APPS)
                        .addToLabels("app", "db")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node3")
                        .addNewContainer()
                        .withName("c")
                        .withImage("db")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        db.setStatus(new PodStatusBuilder()
                .withPhase("Running")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .build());
        client.resource(db).updateStatus();
        // A StatefulSet's pod: forcing it off a node that still runs it would run db-0 twice.
        var sts = client.resource(new StatefulSetBuilder()
                        .withNewMetadata()
                        .withName("db")
                        .withNamespace(APPS)
                        .endMetadata()
                        .withNewSpec()
                        .withServiceName("db")
                        .withNewSelector()
                        .addToMatchLabels("app", "db-sts")
                        .endSelector()
                        .withNewTemplate()
                        .withNewMetadata()
                        .addToLabels("app", "db-sts")
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("c")
                        .withImage("db")
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        client.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("db-0")
                        .withNamespace(APPS)
                        .addToLabels("app", "db-sts")
                        .addNewOwnerReference()
                        .withApiVersion("apps/v1")
                        .withKind("StatefulSet")
                        .withName("db")
                        .withUid(sts.getMetadata().getUid())
                        .withController(true)
                        .endOwnerReference()
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node3")
                        .addNewContainer()
                        .withName("c")
                        .withImage("db")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        client.resource(new PodDisruptionBudgetBuilder()
                        .withNewMetadata()
                        .withName("db")
                        .withNamespace(APPS)
                        .endMetadata()
                        .withNewSpec()
                        .withNewMinAvailable(1)
                        .withSelector(new LabelSelectorBuilder()
                                .addToMatchLabels("app", "db")
                                .build())
                        .endSpec()
                        .build())
                .create();

        VoteQuorumPolicy policy = new VoteQuorumPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("lab").build());
        policy.getSpec().setClusterName("lab");
        policy.getSpec().getFencing().setMode(FencingMode.Enforce);
        policy.getSpec().getFencing().setEvictAfter("3s");
        policy.getSpec().getFencing().setFenceTimeout("12s");
        policy.getSpec().getFencing().setHealthyDelay("4s");
        client.resource(policy).create();

        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(Conditions.isTrue(policy().getStatus().getConditions(), "Quorate"))
                    .isTrue();
            assertThat(policy().getStatus().getPartition().memberCount()).isEqualTo(3);
        });
        assertThat(taints("node3")).isEmpty();

        // Node 3 is cut off: 1 and 2 form a new ring; 3 is alone and its agent falls silent.
        RingId cut = new RingId(1, 0x14);
        report(1, true, cut, 1, 2);
        report(2, true, cut, 1, 2);
        heartbeating.remove("node3");

        await().atMost(STEP).untilAsserted(() -> {
            assertThat(node("node3").getSpec().getUnschedulable()).isTrue();
            assertThat(taints("node3")).contains("votequorum.io/inquorate:NoSchedule");
        });
        await().atMost(STEP).untilAsserted(() -> {
            Pod evicted = client.pods().inNamespace(APPS).withName("web").get();
            assertThat(evicted == null || evicted.getMetadata().getDeletionTimestamp() != null)
                    .as("web evicted")
                    .isTrue();
        });
        assertThat(client.pods()
                        .inNamespace(APPS)
                        .withName("db")
                        .get()
                        .getMetadata()
                        .getDeletionTimestamp())
                .as("the budget keeps db")
                .isNull();

        // fenceTimeout passes without proof that node 3 is off: the ladder stops after eviction and says so.
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(condition("lab", "Fencing").getReason()).isEqualTo("AwaitingConfirmation");
            assertThat(condition("lab", "Fencing").getMessage())
                    .contains(
                            "node3 is outside the quorate partition",
                            "StatefulSet pods and volumes wait",
                            "kubectl annotate node node3 votequorum.io/confirmed-off=");
            assertThat(eventsOf("lab")).anyMatch(e -> e.startsWith("AwaitingConfirmation node3"));
            assertThat(operator.metrics()).contains("votequorum_nodes_awaiting_confirmation{cluster=\"lab\"} 1.0");
        });
        assertThat(taints("node3")).doesNotContain("node.kubernetes.io/out-of-service:NoExecute");
        Pod dbStill = client.pods().inNamespace(APPS).withName("db-0").get();
        assertThat(dbStill)
                .as("the StatefulSet's pod is not forced off a node that may still run it")
                .isNotNull();
        assertThat(dbStill.getSpec().getNodeName()).isEqualTo("node3");

        // The operator dies between the ladder's steps; its successor carries on from the Node's record.
        operator.kill();
        operator = startOperator();
        await().during(Duration.ofSeconds(3))
                .atMost(STEP)
                .until(() -> !taints("node3").contains("node.kubernetes.io/out-of-service:NoExecute"));

        // An administrator confirms that node 3 is off: step 3 follows, naming the confirmation.
        Instant confirmed = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        client.nodes()
                .withName("node3")
                .edit(n -> new NodeBuilder(n)
                        .editMetadata()
                        .addToAnnotations("votequorum.io/confirmed-off", confirmed.toString())
                        .endMetadata()
                        .build());
        await().atMost(STEP).untilAsserted(() -> {
            assertThat(taints("node3")).contains("node.kubernetes.io/out-of-service:NoExecute");
            assertThat(policy().getStatus().getFencedNodes())
                    .singleElement()
                    .satisfies(f -> assertThat(f.stage()).isEqualTo(FenceStage.Fenced))
                    .satisfies(f -> assertThat(f.evidence()).contains("confirmed off at " + confirmed));
        });
        assertThat(eventsOf("lab")).anyMatch(e -> e.startsWith("Fenced node3 Fenced: confirmed off at " + confirmed));
        assertThat(taints("node1")).isEmpty();
        assertThat(taints("node2")).isEmpty();
        assertThat(quorumCondition("node3")).isEqualTo("False OutsideQuoratePartition");
        assertThat(quorumCondition("node1")).isEqualTo("True MemberOfQuoratePartition");
        assertThat(evictionsOf("web"))
                .as("one eviction, however many reconciles")
                .isEqualTo(1);

        // The heal: all three in a new ring, node 3's agent heartbeats again.
        RingId healed = new RingId(1, 0x18);
        heartbeating.add("node3");
        for (int i = 1; i <= 3; i++) {
            report(i, true, healed, 1, 2, 3);
        }
        await().atMost(STEP).untilAsserted(() -> {
            assertThat(taints("node3")).isEmpty();
            assertThat(node("node3").getSpec().getUnschedulable()).isNotEqualTo(Boolean.TRUE);
            assertThat(policy().getStatus().getFencedNodes()).isEmpty();
        });
        assertThat(node("node2").getSpec().getUnschedulable())
                .as("the admin's cordon stays")
                .isTrue();
        assertThat(quorumCondition("node3")).isEqualTo("True MemberOfQuoratePartition");
        assertThat(events()).anyMatch(e -> e.contains("Fenced")).anyMatch(e -> e.contains("Unfenced"));

        String metrics = operator.metrics();
        assertThat(metrics)
                .contains(
                        "votequorum_fenced_nodes{cluster=\"lab\",stage=\"Fenced\"} 0.0",
                        "votequorum_fencing_actions_total{result=\"success\",type=\"Unfence\"} 1.0",
                        "votequorum_partition_votes_to_spare{cluster=\"lab\"} 1.0",
                        "votequorum_decision_latency_seconds_count");
    }

    @Test
    void aSecondReplicaWaitsAndTakesOverWhenTheLeaderDies() throws Exception {
        await().atMost(STEP).until(() -> holder() != null);
        String first = holder();
        OperatorProcess standby = startOperator();
        try {
            Thread.sleep(5000);
            assertThat(holder()).as("the leader keeps the Lease").isEqualTo(first);

            operator.kill();
            operator = standby;
            await().atMost(STEP).until(() -> holder() != null && !holder().equals(first));

            // The new leader reconciles: a node cut now is cordoned.
            cluster("takeover", "takeover", 3, FencingMode.Enforce);
            RingId cut = new RingId(1, 0x70);
            report("takeover", "takeover", 1, true, cut, 1, 2);
            report("takeover", "takeover", 2, true, cut, 1, 2);
            report("takeover", "takeover", 3, false, new RingId(3, 0x70), 3);
            await().atMost(STEP)
                    .untilAsserted(
                            () -> assertThat(taints("takeover3")).contains("votequorum.io/inquorate:NoSchedule"));
        } finally {
            if (operator != standby) {
                standby.close();
            }
        }
    }

    private static String holder() {
        var lease = client.leases()
                .inNamespace(NAMESPACE)
                .withName("votequorum-operator")
                .get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** Evictions of a pod as the API server recorded them. */
    private static long evictionsOf(String pod) throws IOException {
        ObjectMapper json = new ObjectMapper();
        long count = 0;
        for (String line : Files.readAllLines(api.auditLog())) {
            JsonNode event = json.readTree(line);
            if ("eviction".equals(event.at("/objectRef/subresource").asText())
                    && pod.equals(event.at("/objectRef/name").asText())
                    && event.at("/responseStatus/code").asInt() < 300) {
                count++;
            }
        }
        return count;
    }

    private static List<String> eventsOf(String policy) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> policy.equals(e.getInvolvedObject().getName()))
                .map(e -> e.getReason() + " " + e.getMessage())
                .toList();
    }

    private static List<String> events() {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .map(e -> e.getReason() + " " + e.getMessage())
                .toList();
    }
}
