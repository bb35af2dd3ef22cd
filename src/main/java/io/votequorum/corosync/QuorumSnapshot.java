package io.votequorum.corosync;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * One node's complete view of votequorum at one moment: the configuration, this node's figures, the
 * membership with its ring id, and every known node with its state, votes and name.
 */
public record QuorumSnapshot(
        CorosyncConfig config, boolean quorate, Optional<RingId> ring, QuorumInfo local, List<Node> nodes) {

    /** A node as this node sees it. */
    public record Node(long nodeId, Optional<String> name, int votes, NodeState state) {}

    public QuorumSnapshot {
        nodes = List.copyOf(nodes);
    }

    /** Nodes in MEMBER state: the partition this node is in. */
    public List<Node> members() {
        return nodes.stream().filter(n -> n.state() == NodeState.MEMBER).toList();
    }

    /**
     * Puts a snapshot together from the latest callbacks. The quorum callback knows every node and its
     * state; the nodelist callback knows the ring and the members, and wins for membership when it is
     * the newer of the two. A nodelist node neither mentions is DEAD with its configured votes. {@code votesOf} is getinfo's node_votes for a node id; {@code local} is
     * getinfo for this node, read after the callbacks.
     */
    public static QuorumSnapshot of(
            CorosyncConfig config,
            QuorumInfo local,
            Optional<QuorumEvent.QuorumChanged> quorum,
            Optional<QuorumEvent.MembershipChanged> membership,
            LongFunction<Integer> votesOf) {
        Map<Long, NodeState> states = new LinkedHashMap<>();
        // votequorum lists a registered quorum device as node 0: it is no node, getinfo reports it apart.
        quorum.ifPresent(q -> q.nodes().stream()
                .filter(n -> n.nodeId() != Votequorum.QDEVICE_NODE_ID)
                .forEach(n -> states.put(n.nodeId(), n.state())));
        membership.ifPresent(m -> {
            boolean newer =
                    quorum.isEmpty() || !m.received().isBefore(quorum.get().received());
            m.members().forEach(id -> {
                if (newer || !states.containsKey(id)) {
                    states.put(id, NodeState.MEMBER);
                }
            });
            if (newer) {
                states.replaceAll(
                        (id, state) -> state == NodeState.MEMBER && !m.members().contains(id) ? NodeState.DEAD : state);
            }
        });
        if (states.isEmpty()) {
            states.put(local.nodeId(), NodeState.MEMBER);
        }
        Map<Long, Node> byId = new TreeMap<>();
        states.forEach((id, state) -> byId.put(id, new Node(id, config.nameOf(id), votesOf.apply(id), state)));
        // The whole nodelist counts for the operator's majority, also nodes votequorum never saw.
        config.nodes().stream()
                .filter(entry -> !byId.containsKey(entry.nodeId()))
                .forEach(entry -> byId.put(
                        entry.nodeId(), new Node(entry.nodeId(), entry.name(), entry.votes(), NodeState.DEAD)));
        List<Node> nodes = new ArrayList<>(byId.values());
        // getinfo is read now, the callbacks a moment ago: its flag is the present truth.
        return new QuorumSnapshot(
                config, local.quorate(), membership.map(QuorumEvent.MembershipChanged::ring), local, nodes);
    }
}
