package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.votequorum.model.QuorumStatus;
import java.util.Set;

/**
 * Everything a policy pass does beyond its own memory, and the one thing it reads live: the API
 * server through the fabric8 client in the operator ({@link KubernetesOutside}), the simulation's
 * store in the simulation.
 */
public interface Outside {

    /** The Nodes and pods the ladder acts on. */
    NodeApi nodes();

    /** Server-side apply of a QuorumStatus spec: the votes, self-fencing and device handed to its agent. */
    void applySpec(QuorumStatus desired);

    /** Records a Kubernetes Event about {@code about}; a failure to record one is logged, never thrown. */
    void event(HasMetadata about, String type, String reason, String message);

    /**
     * The API server's own addresses (the kubernetes Service's endpoints), to tell whether it runs on
     * the corosync cluster; throws with what went wrong when they cannot be read.
     */
    Set<String> apiServerAddresses();
}
