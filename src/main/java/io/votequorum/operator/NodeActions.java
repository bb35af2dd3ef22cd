package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.model.ExemptPods;

/**
 * The side effects of the fencing ladder on one Node. Each step takes the Node as the informer's
 * cache has it, does only what is missing, and records what it added in {@link FenceAnnotation}:
 * against a Node that already shows the step, it makes no API call.
 */
public interface NodeActions {

    /** Step 1: cordon and taint {@value Taints#INQUORATE}:NoSchedule; start or update the record. */
    void cordon(Node node, FenceRecord record);

    /**
     * Step 2: taint NoExecute and evict the node's pods through the Eviction API, skipping what
     * {@code exempt} leaves alone. Returns how many pods are still to go (a PodDisruptionBudget may
     * hold some back; the next reconcile tries again).
     */
    int evict(Node node, FenceRecord record, ExemptPods exempt);

    /** Step 3, OutOfServiceTaint: add node.kubernetes.io/out-of-service=nodeshutdown:NoExecute. */
    void markOutOfService(Node node, FenceRecord record);

    /** Step 3, ResourceDeletion: force-delete the node's pods and its VolumeAttachments. */
    void deleteWorkloads(Node node, FenceRecord record, ExemptPods exempt);

    /** Keeps the record (for instance the healthy clock) without acting. */
    void record(Node node, FenceRecord record);

    /** Step 4: remove only the taints the operator added, uncordon only if it cordoned, drop the record. */
    void unfence(Node node);

    /**
     * Sets the Node condition {@value KubernetesNodeActions#QUORUM_CONDITION} (True, False or
     * Unknown) that health-check remediation tools can watch; writes only when it changed.
     */
    void reportQuorum(Node node, String status, String reason, String message);
}
