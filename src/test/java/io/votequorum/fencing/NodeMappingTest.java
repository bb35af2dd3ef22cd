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
                List.of(
                        new KubeNode("edge-a", Map.of("votequorum.io/node-id", "1")),
                        new KubeNode("edge-b", Map.of()),
                        new KubeNode("node3", Map.of()),
                        new KubeNode("web", Map.of())),
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
                List.of(new KubeNode("edge-a", Map.of("votequorum.io/node-id", "2"))), Map.of("edge-a", 1L), Map.of());
        assertThat(result.corosyncIds()).isEmpty();
        assertThat(result.unmapped().get("edge-a"))
                .isEqualTo("votequorum.io/node-id=2 but its agent reports corosync node 1");
    }

    @Test
    void twoNodesClaimingOneCorosyncNodeAreBothUnmapped() {
        NodeMapping.Result result = NodeMapping.map(
                List.of(
                        new KubeNode("a", Map.of("votequorum.io/node-id", "4")),
                        new KubeNode("b", Map.of("votequorum.io/node-id", "4")),
                        new KubeNode("c", Map.of("votequorum.io/node-id", "x"))),
                Map.of(),
                Map.of());
        assertThat(result.corosyncIds()).isEmpty();
        assertThat(result.unmapped()).containsKeys("a", "b", "c");
        assertThat(result.unmapped().get("c")).contains("is not a corosync node id");
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
