package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.model.FencedNode;
import io.votequorum.model.FencingMode;
import io.votequorum.model.VoteQuorumPolicy;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one fence record and the two places it lives: on the Node, in its {@value FenceAnnotation#KEY}
 * annotation, once the operator has done something to the Node (beside what it added); in the policy's
 * status ({@code fencedNodes}) in a dry run, where nothing is done to the Node. Both keep every field of
 * {@link FenceRecord}. A record that cannot be read is a problem of its node alone.
 */
final class FenceRecords {

    private FenceRecords() {}

    /** What one place holds for a node: a record, none, or why what it holds cannot be read. */
    record Readout(Optional<FenceRecord> record, Optional<String> problem) {
        static final Readout NONE = new Readout(Optional.empty(), Optional.empty());

        static Readout of(FenceRecord record) {
            return new Readout(Optional.of(record), Optional.empty());
        }

        static Readout unreadable(String why) {
            return new Readout(Optional.empty(), Optional.of(why));
        }
    }

    /**
     * Each Node's record, by name: the one on the Node first (what the operator did to it, in whatever
     * mode it did it); outside Enforce, the one in the policy's status for a Node that has none.
     */
    static Map<String, Readout> read(VoteQuorumPolicy policy, String cluster, Collection<Node> nodes) {
        Map<String, Readout> records = new HashMap<>();
        nodes.forEach(n -> records.put(n.getMetadata().getName(), onNode(n, cluster)));
        if (policy.getSpec().getFencing().getMode() != FencingMode.Enforce && policy.getStatus() != null) {
            for (FencedNode fenced : policy.getStatus().getFencedNodes()) {
                Readout held = records.getOrDefault(fenced.nodeName(), Readout.NONE);
                if (held.record().isEmpty() && held.problem().isEmpty()) {
                    records.put(fenced.nodeName(), inStatus(fenced));
                }
            }
        }
        return records;
    }

    /** The Node's record, if this cluster's policy wrote it; another cluster's record is that policy's. */
    static Readout onNode(Node node, String cluster) {
        try {
            return FenceAnnotation.of(node.getMetadata().getAnnotations())
                    .filter(a -> cluster.equals(a.cluster()))
                    .map(a -> Readout.of(a.record()))
                    .orElse(Readout.NONE);
        } catch (IllegalStateException e) {
            return Readout.unreadable(e.getMessage());
        }
    }

    /** The cluster whose policy fenced the Node, if its record can be read. */
    static Optional<String> fencedBy(Node node) {
        try {
            return FenceAnnotation.of(node.getMetadata().getAnnotations()).map(FenceAnnotation::cluster);
        } catch (IllegalStateException e) {
            return Optional.empty(); // the reconcile that meets it says so
        }
    }

    static Readout inStatus(FencedNode fenced) {
        if (fenced.stage() == null || fenced.since() == null) {
            return Readout.unreadable(
                    "fencedNodes[" + fenced.nodeName() + "] has no " + (fenced.stage() == null ? "stage" : "since"));
        }
        try {
            return Readout.of(new FenceRecord(
                    fenced.stage(),
                    Instant.parse(fenced.since()),
                    fenced.reason(),
                    time(fenced.healthySince()),
                    Optional.ofNullable(fenced.evidence()),
                    time(fenced.offSince()),
                    Optional.ofNullable(fenced.bootId())));
        } catch (DateTimeParseException e) {
            return Readout.unreadable(
                    "fencedNodes[" + fenced.nodeName() + "] holds a time that is not RFC 3339: " + e.getParsedString());
        }
    }

    static FencedNode toStatus(String node, FenceRecord record) {
        return new FencedNode(
                node,
                record.stage(),
                record.reason(),
                record.since().toString(),
                record.evidence().orElse(null),
                record.healthySince().map(Instant::toString).orElse(null),
                record.offSince().map(Instant::toString).orElse(null),
                record.bootId().orElse(null));
    }

    private static Optional<Instant> time(String value) {
        return Optional.ofNullable(value).map(Instant::parse);
    }
}
