package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.model.FenceStage;
import io.votequorum.model.FencedNode;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The one fence record, in both places it lives: every field comes back as it went in. */
class FenceRecordsTest {

    @Property(tries = 500, seed = "20261207")
    void everyFieldRoundTripsThroughTheNodeAndTheStatus(@ForAll("records") FenceRecord record) {
        Node node = new NodeBuilder()
                .withNewMetadata()
                .withName("node3")
                .withAnnotations(Map.of(
                        FenceAnnotation.KEY,
                        FenceAnnotation.start("lab", record).json()))
                .endMetadata()
                .build();
        assertThat(FenceRecords.onNode(node, "lab").record()).contains(record);
        assertThat(FenceRecords.onNode(node, "other").record())
                .as("another cluster's record")
                .isEmpty();

        FencedNode inStatus = FenceRecords.toStatus("node3", record);
        assertThat(FenceRecords.inStatus(inStatus).record()).contains(record);
    }

    @Provide
    Arbitrary<FenceRecord> records() {
        Arbitrary<Instant> times = Arbitraries.longs()
                .between(1_700_000_000_000L, 1_900_000_000_000L)
                .map(Instant::ofEpochMilli);
        Arbitrary<Optional<Instant>> maybeTime = times.optional();
        Arbitrary<Optional<String>> maybeText =
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20).optional();
        return Combinators.combine(
                        Arbitraries.of(FenceStage.class),
                        times,
                        Arbitraries.strings().alpha().ofMaxLength(30),
                        maybeTime,
                        maybeText,
                        maybeTime,
                        maybeText)
                .as(FenceRecord::new);
    }

    @Test
    void anUnreadableRecordIsAProblemOfItsNodeAlone() {
        Node broken = new NodeBuilder()
                .withNewMetadata()
                .withName("node3")
                .withAnnotations(Map.of(FenceAnnotation.KEY, "{not json"))
                .endMetadata()
                .build();
        FenceRecords.Readout readout = FenceRecords.onNode(broken, "lab");
        assertThat(readout.record()).isEmpty();
        assertThat(readout.problem()).get().asString().contains("votequorum.io/fencing", "not the operator's JSON");

        FencedNode noStage = new FencedNode("node4", null, "cut", "2026-01-01T00:00:00Z", null);
        assertThat(FenceRecords.inStatus(noStage).problem()).contains("fencedNodes[node4] has no stage");
        FencedNode badTime = new FencedNode("node4", FenceStage.Cordoned, "cut", "yesterday", null);
        assertThat(FenceRecords.inStatus(badTime).problem()).get().asString().contains("not RFC 3339");
    }
}
