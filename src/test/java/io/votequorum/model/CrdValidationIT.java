package io.votequorum.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.votequorum.testenv.KubeApiServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The generated CRDs on a real kube-apiserver: status subresource, printer columns, and every CEL rule. */
class CrdValidationIT {

    private static KubeApiServer api;
    private static KubernetesClient client;

    @BeforeAll
    static void startApiServer() {
        api = KubeApiServer.start().withCrds();
        client = api.client();
    }

    @AfterAll
    static void stopApiServer() {
        if (api != null) {
            api.close();
        }
    }

    @AfterEach
    void removeObjects() {
        client.resources(QuorumStatus.class).delete();
        client.resources(VoteQuorumPolicy.class).delete();
    }

    @Test
    void agentWritesStatusThroughTheStatusSubresourceAndSpecStaysTheOperators() {
        QuorumStatus created = client.resource(quorumStatus("node1", 2)).create();
        assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);

        QuorumStatus report = new QuorumStatus();
        report.setMetadata(new ObjectMetaBuilder().withName("node1").build());
        report.setSpec(null);
        report.getStatus().setNodeName("node1");
        report.getStatus().setNodeId(1L);
        report.getStatus().setQuorate(true);
        report.getStatus().setRingId(new RingId(1, 12));
        report.getStatus().setMembers(List.of(new Member(1, "node1", 1, MemberState.Member)));
        report.getStatus().setMemberCount(1);
        client.resource(report)
                .subresource("status")
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager("votequorum-agent")
                        .withForce(true)
                        .build());

        QuorumStatus read =
                client.resources(QuorumStatus.class).withName("node1").get();
        assertThat(read.getStatus().getQuorate()).isTrue();
        assertThat(read.getStatus().getRingId()).isEqualTo(new RingId(1, 12));
        assertThat(read.getSpec().getVotes())
                .as("spec untouched by a status write")
                .isEqualTo(2);
        assertThat(read.getMetadata().getGeneration())
                .as("status writes do not bump generation")
                .isEqualTo(1L);

        // A write to the main resource cannot change status: that belongs to the subresource.
        read.getStatus().setQuorate(false);
        read.getSpec().setVotes(3);
        client.resource(read).update();
        QuorumStatus again =
                client.resources(QuorumStatus.class).withName("node1").get();
        assertThat(again.getStatus().getQuorate()).isTrue();
        assertThat(again.getSpec().getVotes()).isEqualTo(3);
        assertThat(again.getMetadata().getGeneration()).isEqualTo(2L);
    }

    @Test
    void printerColumnsAnswerTheFirstQuestion() {
        client.resource(quorumStatus("node1", null)).create();

        assertThat(columnNames(serverSideTable("quorumstatuses")))
                .containsExactly(
                        "Name",
                        "NodeID",
                        "Quorate",
                        "Votes",
                        "Expected",
                        "Total",
                        "Quorum",
                        "Members",
                        "Ring",
                        "Device",
                        "Age");

        client.resource(policy("edge", Map.of())).create();
        assertThat(columnNames(serverSideTable("votequorumpolicies")))
                .containsExactly("Name", "Cluster", "Quorate", "Members", "Spare", "Fenced", "Applied", "Age");
    }

    static Stream<Arguments> rejectedPolicies() {
        return Stream.of(
                Arguments.of(
                        "both nodeName and nodeSelector",
                        Map.of("votes", List.of(Map.of("nodeName", "n1", "nodeSelector", Map.of(), "votes", 1))),
                        "each votes entry must name exactly one of nodeName or nodeSelector"),
                Arguments.of(
                        "neither nodeName nor nodeSelector",
                        Map.of("votes", List.of(Map.of("votes", 1))),
                        "each votes entry must name exactly one of nodeName or nodeSelector"),
                Arguments.of(
                        "negative votes",
                        Map.of("votes", List.of(Map.of("nodeName", "n1", "votes", -1))),
                        "votes must be 0 or more"),
                Arguments.of(
                        "votes missing",
                        Map.of("votes", List.of(Map.of("nodeName", "n1"))),
                        "spec.votes[0].votes: Required value"),
                Arguments.of("expectedVotes 0", Map.of("expectedVotes", 0), "expectedVotes must be at least 1"),
                Arguments.of(
                        "a device Lease named like any other",
                        Map.of("quorumDevice", Map.of("enabled", true, "leaseName", "edge")),
                        "leaseName must start with votequorum-device-"),
                Arguments.of(
                        "a device Lease duration that is no duration",
                        Map.of("quorumDevice", Map.of("enabled", true, "leaseDuration", "15")),
                        "leaseDuration must be a duration such as 15s or 1m"),
                Arguments.of(
                        "more votes than corosync's quorum can hold",
                        Map.of("votes", List.of(Map.of("nodeName", "n1", "votes", 510))),
                        "corosync keeps quorum in 8 bits"),
                Arguments.of(
                        "more expected votes than corosync's quorum can hold",
                        Map.of("expectedVotes", 510),
                        "votes and expectedVotes must be at most 509"),
                Arguments.of(
                        "maxFencedNodes 0",
                        Map.of("fencing", Map.of("maxFencedNodes", 0)),
                        "maxFencedNodes must be at least 1"),
                Arguments.of(
                        "healthyDelay not a duration",
                        Map.of("fencing", Map.of("healthyDelay", "soon")),
                        "healthyDelay must be a duration such as 30s"),
                Arguments.of(
                        "evictAfter with a space",
                        Map.of("fencing", Map.of("evictAfter", "10 s")),
                        "evictAfter must be a duration such as 10s"),
                Arguments.of(
                        "fenceTimeout without unit",
                        Map.of("fencing", Map.of("fenceTimeout", "60")),
                        "fenceTimeout must be a duration such as 60s"),
                Arguments.of(
                        "selfFenceAfter not a duration",
                        Map.of("fencing", Map.of("selfFenceAfter", "30")),
                        "selfFenceAfter must be a duration such as 30s"),
                Arguments.of(
                        "safetyMargin not a duration",
                        Map.of("fencing", Map.of("safetyMargin", "ten")),
                        "safetyMargin must be a duration such as 10s"),
                Arguments.of(
                        "unknown noQuorumAction",
                        Map.of("fencing", Map.of("noQuorumAction", "Reboot")),
                        "Unsupported value: \"Reboot\""),
                Arguments.of(
                        "unknown mode",
                        Map.of("fencing", Map.of("mode", "Aggressive")),
                        "Unsupported value: \"Aggressive\""),
                Arguments.of(
                        "empty clusterName", Map.of("clusterName", ""), "clusterName must name the corosync cluster"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedPolicies")
    void eachRuleRejectsABadPolicyWithItsMessage(String what, Map<String, Object> spec, String message) {
        assertThatThrownBy(() -> client.resource(policy("bad", spec)).create())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining(message);
        assertThat(client.resources(VoteQuorumPolicy.class).withName("bad").get())
                .as("nothing stored")
                .isNull();
    }

    @Test
    void clusterNameIsRequired() {
        GenericKubernetesResource noCluster = policy("bad", Map.of());
        ((Map<?, ?>) noCluster.getAdditionalProperties().get("spec")).remove("clusterName");

        assertThatThrownBy(() -> client.resource(noCluster).create())
                .hasMessageContaining("spec.clusterName: Required value");
    }

    @Test
    void clusterNameCannotChange() {
        client.resource(policy("edge", Map.of())).create();
        VoteQuorumPolicy stored =
                client.resources(VoteQuorumPolicy.class).withName("edge").get();
        stored.getSpec().setClusterName("other");

        assertThatThrownBy(() -> client.resource(stored).update())
                .hasMessageContaining("clusterName cannot change; create a new policy for another cluster");
    }

    @Test
    void aGoodPolicyIsStoredWithTheSafeDefaults() {
        client.resource(policy(
                        "edge",
                        Map.of(
                                "votes",
                                List.of(
                                        Map.of("nodeName", "node1", "votes", 2),
                                        Map.of(
                                                "nodeSelector",
                                                Map.of("matchLabels", Map.of("tier", "edge")),
                                                "votes",
                                                0)),
                                "expectedVotes",
                                3,
                                "fencing",
                                Map.of("healthyDelay", "1m30s"))))
                .create();

        VoteQuorumPolicy stored =
                client.resources(VoteQuorumPolicy.class).withName("edge").get();
        assertThat(stored.getSpec().getFencing().getMode()).isEqualTo(FencingMode.DryRun);
        assertThat(stored.getSpec().getFencing().getHealthyDelay()).isEqualTo("1m30s");
        assertThat(stored.getSpec().getFencing().getEvictAfter()).isEqualTo("10s");
        assertThat(stored.getSpec().getFencing().getNoQuorumAction()).isEqualTo(NoQuorumAction.None);
        assertThat(stored.getSpec().getFencing().getSelfFenceAfter()).isEqualTo("30s");
        assertThat(stored.getSpec().getFencing().getSafetyMargin()).isEqualTo("10s");
        assertThat(stored.getSpec().getVotes()).hasSize(2);
    }

    @Test
    void quorumStatusSpecRejectsImpossibleVotes() {
        assertThatThrownBy(() -> client.resource(quorumStatus("node1", -1)).create())
                .hasMessageContaining("votes must be 0 or more");
        assertThatThrownBy(() -> client.resource(quorumStatus("node1", 510)).create())
                .hasMessageContaining("votes and expectedVotes must be at most 509");
        QuorumStatus soon = quorumStatus("node1", 1);
        soon.getSpec().setSelfFenceAfter("soon");
        assertThatThrownBy(() -> client.resource(soon).create())
                .hasMessageContaining("selfFenceAfter must be a duration such as 30s");
        assertThat(client.resources(QuorumStatus.class).withName("node1").get())
                .as("nothing stored")
                .isNull();
    }

    private static QuorumStatus quorumStatus(String name, Integer votes) {
        QuorumStatus qs = new QuorumStatus();
        qs.setMetadata(new ObjectMetaBuilder().withName(name).build());
        qs.getSpec().setVotes(votes);
        qs.setStatus(null);
        return qs;
    }

    /** A policy as a person writes it in YAML, so that bad values reach the server unchanged. */
    private static GenericKubernetesResource policy(String name, Map<String, Object> specOverrides) {
        Map<String, Object> spec = new HashMap<>(Map.of("clusterName", "edge"));
        spec.putAll(specOverrides);
        GenericKubernetesResource policy = new GenericKubernetesResource();
        policy.setApiVersion(VoteQuorumApi.API_VERSION);
        policy.setKind("VoteQuorumPolicy");
        policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
        policy.setAdditionalProperty("spec", spec);
        return policy;
    }

    /** What `kubectl get` shows: the server renders the printer columns as a Table. */
    private static Map<?, ?> serverSideTable(String plural) {
        var http = client.getHttpClient();
        var request = http.newHttpRequestBuilder()
                .uri(client.getMasterUrl() + "apis/" + VoteQuorumApi.API_VERSION + "/" + plural)
                .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
                .build();
        try {
            return Serialization.unmarshal(
                    http.sendAsync(request, String.class).get().body(), Map.class);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the Table of " + plural, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> columnNames(Map<?, ?> table) {
        return ((List<Map<String, Object>>) table.get("columnDefinitions"))
                .stream().map(c -> (String) c.get("name")).toList();
    }
}
