package io.votequorum.fencing;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.fencing.NodeMapping.KubeNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeMappingTest {

    @Test
    void labelThenOwnReportThenCorosyncName() {
        NodeMapping.Result result = NodeMapping.map(
                "lab",
                List.of(
                        new KubeNode("edge-a", Map.of("votequorum.io/node-id", "1", "votequorum.io/cluster", "lab")),
                        new KubeNode("edge-b", Map.of()),
                        new KubeNode("node3", Map.of("votequorum.io/cluster", "lab")),
                        new KubeNode("web", Map.of("votequorum.io/cluster", "lab"))),
                Map.of("edge-b", 2L),
                Map.of(1L, "node1", 2L, "node2", 3L, "node3"));
        assertThat(result.corosyncIds())
                .containsExactlyInAnyOrderEntriesOf(Map.of("edge-a", 1L, "edge-b", 2L, "node3", 3L));
        assertThat(result.idOf("web")).isEmpty();
        assertThat(result.unmapped()).isEmpty();
    }

    @Test
    void aLabelThatContradictsTheAgentMapsToNothing() {
        NodeMapping.Result result = NodeMapping.map(
                "lab",
                List.of(new KubeNode("edge-a", Map.of("votequorum.io/node-id", "2"))),
                Map.of("edge-a", 1L),
                Map.of());
        assertThat(result.corosyncIds()).isEmpty();
        assertThat(result.unmapped().get("edge-a"))
                .isEqualTo("votequorum.io/node-id=2 but its agent reports corosync node 1");
    }

    @Test
    void twoNodesClaimingOneCorosyncNodeAreBothUnmapped() {
        NodeMapping.Result result = NodeMapping.map(
                "lab",
                List.of(
                        new KubeNode("a", Map.of("votequorum.io/node-id", "4", "votequorum.io/cluster", "lab")),
                        new KubeNode("b", Map.of("votequorum.io/node-id", "4", "votequorum.io/cluster", "lab")),
                        new KubeNode("c", Map.of("votequorum.io/node-id", "x", "votequorum.io/cluster", "lab"))),
                Map.of(),
                Map.of());
        assertThat(result.corosyncIds()).isEmpty();
        assertThat(result.unmapped()).containsKeys("a", "b", "c");
        assertThat(result.unmapped().get("c")).contains("is not a corosync node id");
    }

    @Test
    void aNodeWithoutAReportOfItsOwnBelongsOnlyToTheClusterItsLabelNames() {
        List<KubeNode> nodes = List.of(
                new KubeNode("other-3", Map.of("votequorum.io/node-id", "3")),
                new KubeNode("node2", Map.of()),
                new KubeNode("b-node1", Map.of("votequorum.io/node-id", "1", "votequorum.io/cluster", "b")));
        NodeMapping.Result result =
                NodeMapping.map("lab", nodes, Map.of(), Map.of(1L, "node1", 2L, "node2", 3L, "node3"));
        assertThat(result.corosyncIds())
                .as("node ids and names repeat across clusters: a Node every cluster could claim is nobody's")
                .isEmpty();
        assertThat(result.unmapped().get("other-3"))
                .contains("no QuorumStatus of its own in corosync cluster lab", "votequorum.io/cluster=lab");
        assertThat(NodeMapping.map("b", nodes, Map.of(), Map.of(1L, "node1")).corosyncIds())
                .containsExactlyEntriesOf(Map.of("b-node1", 1L));
    }

    @Test
    void aLeaseIsFreshUntilRenewTimePlusDuration() {
        Instant renewed = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(LeaseFreshness.fresh(Optional.of(renewed), Optional.of(10), renewed.plusSeconds(9)))
                .isTrue();
        assertThat(LeaseFreshness.fresh(Optional.of(renewed), Optional.of(10), renewed.plusSeconds(10)))
                .isFalse();
        assertThat(LeaseFreshness.fresh(Optional.empty(), Optional.of(10), renewed))
                .isFalse();
    }
}
