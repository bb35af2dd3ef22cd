package io.votequorum.fencing;

/**
 * What the reconciler does to one Node, as {@link FencePlan} decides it. Each step is idempotent:
 * carried out against a Node that already shows it, it changes nothing.
 */
public sealed interface NodeStep {

    String node();

    /** Step 1: cordon, taint NoSchedule, and keep the record. */
    record Cordon(String node, FenceRecord record) implements NodeStep {}

    /** Step 2: evict the node's pods through the Eviction API, then taint NoExecute; keep the record. */
    record Evict(String node, FenceRecord record) implements NodeStep {}

    /** Step 3, OutOfServiceTaint: the node is known to be off; taint it out of service. */
    record MarkOutOfService(String node, FenceRecord record) implements NodeStep {}

    /** Step 3, ResourceDeletion: the node is known to be off; force-delete its pods and volume attachments. */
    record DeleteWorkloads(String node, FenceRecord record) implements NodeStep {}

    /** A member of the quorate partition waiting out healthyDelay: keep the record (its healthy clock) only. */
    record Keep(String node, FenceRecord record) implements NodeStep {}

    /** Step 4: remove what the operator added, and the record. */
    record Unfence(String node) implements NodeStep {}
}
