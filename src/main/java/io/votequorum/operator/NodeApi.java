package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The calls the fencing ladder makes to the API server, and nothing else: {@link KubernetesNodeApi}
 * through the fabric8 client, the simulation's against its own store. What the ladder does to a Node
 * ({@link KubernetesNodeActions}) is the same whichever answers.
 */
public interface NodeApi {

    /** Changes the Node as the API server has it now (read, change, write); returns the Node after. */
    Node edit(String node, UnaryOperator<Node> change);

    /** The pods bound to the node. */
    List<Pod> podsOn(String node);

    /** Evicts the pod through the Eviction API; false when a PodDisruptionBudget holds it back (429). */
    boolean evict(Pod pod);

    /** Deletes the pod at once, without waiting for its kubelet (grace period 0). */
    void forceDelete(Pod pod);

    /** Deletes the VolumeAttachments that attach volumes to the node. */
    void detachVolumes(String node);

    /** Sets one condition in the Node's status by server-side apply, beside the kubelet's own. */
    void applyCondition(String node, NodeCondition condition);
}
