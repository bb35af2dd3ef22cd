package io.votequorum.model;

/** What the agent on the lost side does about its own node. */
public enum NoQuorumAction {
    None,
    SelfFence
}
