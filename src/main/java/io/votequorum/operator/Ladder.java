package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.votequorum.fencing.NodeStep;
import io.votequorum.model.ExemptPods;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Carries out the plan's steps through {@link NodeActions}, against the Nodes as the informer's
 * cache has them. A step that fails stops the later steps of its node, never another node's.
 */
final class Ladder {

    /** A step that failed, and why. */
    record Failure(NodeStep step, RuntimeException error) {
        String describe() {
            return name(step) + " " + step.node() + " failed: "
                    + Optional.ofNullable(error.getMessage())
                            .orElse(error.getClass().getSimpleName());
        }
    }

    /** What happened: the nodes whose steps all ran, and the failures. */
    record Outcome(List<String> done, List<Failure> failures) {}

    private Ladder() {}

    /**
     * Runs {@code steps} (the plan's, node by node, in order) on the Nodes in {@code cached}. A step
     * for a Node the cache does not have fails: the Node is gone or not seen yet.
     */
    static Outcome carryOut(List<NodeStep> steps, Map<String, Node> cached, NodeActions actions, ExemptPods exempt) {
        List<String> done = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (NodeStep step : steps) {
            if (failed.contains(step.node())) {
                continue;
            }
            try {
                Node node = Optional.ofNullable(cached.get(step.node()))
                        .orElseThrow(() -> new IllegalStateException(
                                "the Node is not in the operator's cache (deleted, or not seen yet)"));
                run(step, node, actions, exempt);
                if (!done.contains(step.node())) {
                    done.add(step.node());
                }
            } catch (RuntimeException e) {
                failures.add(new Failure(step, e));
                failed.add(step.node());
                done.remove(step.node());
            }
        }
        return new Outcome(List.copyOf(done), List.copyOf(failures));
    }

    private static void run(NodeStep step, Node node, NodeActions actions, ExemptPods exempt) {
        if (step instanceof NodeStep.Cordon c) {
            actions.cordon(node, c.record());
        } else if (step instanceof NodeStep.Evict e) {
            actions.evict(node, e.record(), exempt);
        } else if (step instanceof NodeStep.MarkOutOfService m) {
            actions.markOutOfService(node, m.record());
        } else if (step instanceof NodeStep.DeleteWorkloads d) {
            actions.deleteWorkloads(node, d.record(), exempt);
        } else if (step instanceof NodeStep.Keep k) {
            actions.record(node, k.record());
        } else if (step instanceof NodeStep.Unfence) {
            actions.unfence(node);
        }
    }

    /** The step's name as the log, Events and conditions say it. */
    static String name(NodeStep step) {
        if (step instanceof NodeStep.Cordon) {
            return "cordon";
        } else if (step instanceof NodeStep.Evict) {
            return "evict";
        } else if (step instanceof NodeStep.MarkOutOfService) {
            return "mark out of service";
        } else if (step instanceof NodeStep.DeleteWorkloads) {
            return "delete the workloads of";
        } else if (step instanceof NodeStep.Keep) {
            return "keep the record of";
        }
        return "unfence";
    }
}
