package io.votequorum.model;

import static io.votequorum.model.Conditions.Status.True;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelJsonTest {

    private final ObjectMapper plainJackson = new ObjectMapper();

    static QuorumStatus quorumStatus() {
        QuorumStatus qs = new QuorumStatus();
        qs.setMetadata(new ObjectMetaBuilder().withName("node1").build());
        qs.getSpec().setVotes(2);
        qs.getSpec().setExpectedVotes(4);
        qs.getSpec().setPolicy("edge");
        qs.getSpec().setPolicyGeneration(7L);
        QuorumStatusStatus s = qs.getStatus();
        s.setNodeName("node1");
        s.setNodeId(1L);
        s.setClusterName("edge");
        s.setQuorate(true);
        s.setRingId(new RingId(1, 0x2c));
        s.setNodeVotes(2);
        s.setExpectedVotes(4);
        s.setHighestExpected(4);
        s.setTotalVotes(4);
        s.setQuorum(3);
        s.setFlags(List.of(QuorumFlag.Quorate, QuorumFlag.WaitForAll, QuorumFlag.QdeviceRegistered));
        s.setQdevice(new Qdevice("Qdevice", 1, true, true, false));
        s.setMembers(List.of(
                new Member(1, "node1", 2, MemberState.Member),
                new Member(2, "node2", 1, MemberState.Member),
                new Member(3, "node3", 1, MemberState.Dead)));
        s.setMemberCount(2);
        s.setLastTransitionTime("2026-01-01T10:00:00Z");
        s.setApplied(new AppliedVotes(2, 4, 3L));
        s.setObservedGeneration(3L);
        s.setConditions(Conditions.merge(
                List.of(),
                List.of(Conditions.of("Quorate", True, "Quorate", "4 of 4 votes", 3L)),
                Instant.parse("2026-01-01T10:00:00Z")));
        return qs;
    }

    static VoteQuorumPolicy policy() {
        VoteQuorumPolicy p = new VoteQuorumPolicy();
        p.setMetadata(new ObjectMetaBuilder().withName("edge").build());
        p.getSpec().setClusterName("edge");
        p.getSpec()
                .setVotes(List.of(
                        new NodeVotes("node1", null, 2),
                        new NodeVotes(
                                null,
                                new LabelSelectorBuilder()
                                        .addToMatchLabels("tier", "edge")
                                        .build(),
                                1)));
        p.getSpec().setExpectedVotes(4);
        p.getSpec().getFencing().setMode(FencingMode.Enforce);
        p.getSpec().getFencing().setMaxFencedNodes(2);
        p.getSpec().getFencing().setConfirmedAction(ConfirmedFenceAction.ResourceDeletion);
        p.getStatus().setObservedGeneration(4L);
        p.getStatus()
                .setPartition(new Partition(
                        new RingId(1, 0x30), List.of("node1", "node2"), 2, 3, 3, 0, List.of("node1", "node2")));
        p.getStatus().setFencedCount(1);
        p.getStatus()
                .setFencedNodes(List.of(new FencedNode(
                        "node3", FenceStage.Cordoned, "not a member of ring 1.30", "2026-01-01T10:00:00Z", null)));
        return p;
    }

    @Test
    void quorumStatusRoundTripsThroughFabric8AndPlainJackson() throws Exception {
        QuorumStatus original = quorumStatus();

        String json = Serialization.asJson(original);
        QuorumStatus viaFabric8 = Serialization.unmarshal(json, QuorumStatus.class);
        QuorumStatus viaJackson = plainJackson.readValue(json, QuorumStatus.class);

        assertThat(viaFabric8.getSpec()).isEqualTo(original.getSpec());
        assertThat(viaFabric8.getStatus()).isEqualTo(original.getStatus());
        assertThat(viaJackson.getStatus()).isEqualTo(original.getStatus());
        assertThat(viaFabric8.getApiVersion()).isEqualTo("votequorum.io/v1alpha1");
        assertThat(viaFabric8.getKind()).isEqualTo("QuorumStatus");
    }

    @Test
    void quorumStatusUsesTheFieldNamesOfTheApi() throws Exception {
        JsonNode status =
                plainJackson.readTree(Serialization.asJson(quorumStatus())).get("status");

        assertThat(status.fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder(
                        "nodeName",
                        "nodeId",
                        "clusterName",
                        "quorate",
                        "ringId",
                        "nodeVotes",
                        "expectedVotes",
                        "highestExpected",
                        "totalVotes",
                        "quorum",
                        "flags",
                        "qdevice",
                        "memberCount",
                        "members",
                        "lastTransitionTime",
                        "applied",
                        "observedGeneration",
                        "conditions");
        assertThat(status.at("/ringId/seq").asLong()).isEqualTo(0x2c);
        assertThat(status.at("/members/2/state").asText()).isEqualTo("Dead");
        assertThat(status.at("/flags/1").asText()).isEqualTo("WaitForAll");
        assertThat(status.at("/qdevice/castVote").asBoolean()).isTrue();
    }

    @Test
    void unsetFieldsAreLeftOutSoServerSideApplyDoesNotClaimThem() throws Exception {
        QuorumStatus qs = new QuorumStatus();
        qs.setMetadata(new ObjectMetaBuilder().withName("node9").build());
        qs.getStatus().setNodeName("node9");

        JsonNode json = plainJackson.readTree(Serialization.asJson(qs));

        assertThat(json.get("spec").size()).isZero();
        assertThat(json.get("status").has("quorate")).isFalse();
        assertThat(json.get("status").has("ringId")).isFalse();
    }

    @Test
    void statusWrittenByANewerAgentWithUnknownFieldsStillReads() throws Exception {
        String json = """
                {"apiVersion":"votequorum.io/v1alpha1","kind":"QuorumStatus","metadata":{"name":"node1"},
                 "spec":{"votes":1,"futureSpecField":true},
                 "status":{"nodeName":"node1","quorate":true,"futureField":{"x":1},
                   "ringId":{"nodeId":1,"seq":9,"futureRingField":"y"},
                   "qdevice":{"name":"q","votes":1,"alive":true,"castVote":true,"masterWins":false,"futureQ":1},
                   "applied":{"votes":1,"futureApplied":2},
                   "members":[{"nodeId":1,"name":"node1","votes":1,"state":"Member","futureMemberField":3}]}}
                """;

        for (QuorumStatus read : List.of(
                Serialization.unmarshal(json, QuorumStatus.class), plainJackson.readValue(json, QuorumStatus.class))) {
            assertThat(read.getStatus().getQuorate()).isTrue();
            assertThat(read.getStatus().getRingId()).isEqualTo(new RingId(1, 9));
            assertThat(read.getStatus().getMembers()).containsExactly(new Member(1, "node1", 1, MemberState.Member));
            assertThat(read.getStatus().getApplied().votes()).isEqualTo(1);
            assertThat(read.getSpec().getVotes()).isEqualTo(1);
        }
    }

    @Test
    void policyRoundTripsThroughFabric8AndPlainJackson() throws Exception {
        VoteQuorumPolicy original = policy();

        String json = Serialization.asJson(original);
        VoteQuorumPolicy viaFabric8 = Serialization.unmarshal(json, VoteQuorumPolicy.class);
        VoteQuorumPolicy viaJackson = plainJackson.readValue(json, VoteQuorumPolicy.class);

        assertThat(viaFabric8.getSpec()).isEqualTo(original.getSpec());
        assertThat(viaFabric8.getStatus()).isEqualTo(original.getStatus());
        assertThat(viaJackson.getSpec()).isEqualTo(original.getSpec());
        assertThat(viaJackson.getStatus()).isEqualTo(original.getStatus());
        assertThat(viaFabric8.getKind()).isEqualTo("VoteQuorumPolicy");
    }

    @Test
    void policyStatusWithUnknownFieldsStillReads() throws Exception {
        String json = """
                {"apiVersion":"votequorum.io/v1alpha1","kind":"VoteQuorumPolicy","metadata":{"name":"edge"},
                 "spec":{"clusterName":"edge"},
                 "status":{"observedGeneration":2,"futureField":[1,2],
                   "partition":{"members":["node1"],"memberCount":1,"futurePartition":true},
                   "fencedNodes":[{"nodeName":"node2","stage":"Evicted","futureFenced":"z"}]}}
                """;

        VoteQuorumPolicy read = Serialization.unmarshal(json, VoteQuorumPolicy.class);

        assertThat(read.getStatus().getObservedGeneration()).isEqualTo(2L);
        assertThat(read.getStatus().getPartition().members()).containsExactly("node1");
        assertThat(read.getStatus().getFencedNodes())
                .singleElement()
                .extracting(FencedNode::stage)
                .isEqualTo(FenceStage.Evicted);
    }

    @Test
    void policyDefaultsAreTheSafeOnes() {
        VoteQuorumPolicy fresh = Serialization.unmarshal("""
                {"apiVersion":"votequorum.io/v1alpha1","kind":"VoteQuorumPolicy","metadata":{"name":"p"},
                 "spec":{"clusterName":"edge"}}
                """, VoteQuorumPolicy.class);

        FencingSpec fencing = fresh.getSpec().getFencing();
        assertThat(fencing.getMode()).isEqualTo(FencingMode.DryRun);
        assertThat(fencing.getMaxFencedNodes()).isEqualTo(1);
        assertThat(fencing.getExemptPods().getDaemonSetPods()).isTrue();
        assertThat(fresh.getSpec().getAllowUnsafe()).isFalse();
        assertThat(fresh.getStatus()).as("initStatus keeps status non-null").isNotNull();
    }
}
