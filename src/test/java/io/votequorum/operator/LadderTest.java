package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.fencing.NodeStep;
import io.votequorum.model.ExemptPods;
import io.votequorum.model.FenceStage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The step interpreter against a fake {@link NodeActions}: what it calls, in which order, and what a failure stops. */
class LadderTest {

    private static final FenceRecord FENCED = new FenceRecord(
            FenceStage.Fenced,
            Instant.parse("2026-01-01T00:00:00Z"),
            "cut",
            Optional.empty(),
            Optional.of("confirmed off"),
            Optional.of(Instant.parse("2026-01-01T00:01:00Z")));
    private static final ExemptPods EXEMPT = new ExemptPods();

    private final Actions actions = new Actions();
    private final Map<String, Node> cache = Map.of("n1", node("n1"), "n2", node("n2"), "n3", node("n3"));

    @Test
    void eachStepIsOneCallOnTheCachedNodeInThePlansOrder() {
        Ladder.Outcome outcome = Ladder.carryOut(
                List.of(
                        new NodeStep.Evict("n1", FENCED),
                        new NodeStep.MarkOutOfService("n1", FENCED),
                        new NodeStep.Cordon("n2", FENCED.atStage(FenceStage.Cordoned)),
                        new NodeStep.Keep("n3", FENCED),
                        new NodeStep.DeleteWorkloads("n3", FENCED),
                        new NodeStep.Unfence("n2")),
                cache,
                actions,
                EXEMPT);

        assertThat(actions.calls)
                .containsExactly(
                        "evict n1",
                        "markOutOfService n1",
                        "cordon n2",
                        "record n3",
                        "deleteWorkloads n3",
                        "unfence n2");
        assertThat(actions.nodes).allMatch(n -> cache.containsValue(n), "the cached Node itself");
        assertThat(outcome.done()).containsExactly("n1", "n2", "n3");
        assertThat(outcome.failures()).isEmpty();
    }

    @Test
    void aFailingStepStopsTheRestOfItsNodeOnlyAndSaysWhatFailed() {
        actions.failing = Set.of("evict n1");

        Ladder.Outcome outcome = Ladder.carryOut(
                List.of(
                        new NodeStep.Evict("n1", FENCED),
                        new NodeStep.MarkOutOfService("n1", FENCED),
                        new NodeStep.Evict("n2", FENCED),
                        new NodeStep.MarkOutOfService("n2", FENCED)),
                cache,
                actions,
                EXEMPT);

        assertThat(actions.calls).containsExactly("evict n1", "evict n2", "markOutOfService n2");
        assertThat(outcome.done()).containsExactly("n2");
        assertThat(outcome.failures())
                .singleElement()
                .satisfies(f -> assertThat(f.describe()).isEqualTo("evict n1 failed: the API server said no"));
    }

    @Test
    void aNodeMissingFromTheCacheFailsItsStepsWithoutACall() {
        Ladder.Outcome outcome = Ladder.carryOut(List.of(new NodeStep.Cordon("gone", FENCED)), cache, actions, EXEMPT);

        assertThat(actions.calls).isEmpty();
        assertThat(outcome.failures())
                .singleElement()
                .satisfies(f -> assertThat(f.describe())
                        .startsWith("cordon gone failed: the Node is not in the operator's cache"));
    }

    private static Node node(String name) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    }

    /** Records each call; fails those named in {@code failing}. */
    private static final class Actions implements NodeActions {
        final List<String> calls = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        Set<String> failing = Set.of();

        private void call(String what, Node node) {
            String call = what + " " + node.getMetadata().getName();
            calls.add(call);
            nodes.add(node);
            if (failing.contains(call)) {
                throw new IllegalStateException("the API server said no");
            }
        }

        @Override
        public void cordon(Node node, FenceRecord record) {
            call("cordon", node);
        }

        @Override
        public int evict(Node node, FenceRecord record, ExemptPods exempt) {
            call("evict", node);
            return 0;
        }

        @Override
        public void markOutOfService(Node node, FenceRecord record) {
            call("markOutOfService", node);
        }

        @Override
        public void deleteWorkloads(Node node, FenceRecord record, ExemptPods exempt) {
            call("deleteWorkloads", node);
        }

        @Override
        public void record(Node node, FenceRecord record) {
            call("record", node);
        }

        @Override
        public void unfence(Node node) {
            call("unfence", node);
        }

        @Override
        public void reportQuorum(Node node, String status, String reason, String message) {
            call("reportQuorum", node);
        }
    }
}
