package io.votequorum.corosync;

/** votequorum_node_t: a node of the quorum callback's list and its state. */
public record NodeStatus(long nodeId, NodeState state) {}
