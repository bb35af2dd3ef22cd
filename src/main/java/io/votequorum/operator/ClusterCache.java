package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumPolicy;
import java.util.List;
import java.util.Optional;

/**
 * What one pass of a policy reads: in the operator, the informers' caches through their indexes; in
 * the simulation, its own store. Nothing here is read from the API server during a pass.
 */
public interface ClusterCache {

    /** The policies that name this corosync cluster. */
    List<VoteQuorumPolicy> policiesOf(String cluster);

    /** The QuorumStatus objects whose agent reports this corosync cluster. */
    List<QuorumStatus> reportsOf(String cluster);

    /** The QuorumStatus named after this Node, whatever cluster it reports. */
    Optional<QuorumStatus> report(String node);

    /** The agent's heartbeat Lease of this Node. */
    Optional<Lease> heartbeat(String node);

    Optional<Node> node(String name);

    /** The Nodes labelled with this corosync node id. */
    List<Node> nodesLabelled(long corosyncId);

    /** The Nodes whose fence record names this cluster. */
    List<Node> nodesFencedBy(String cluster);
}
