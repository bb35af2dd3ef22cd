package io.votequorum.model;

import io.votequorum.corosync.Votequorum;

/** Names that make up the votequorum.io API: group, version, and the keys it puts on other objects. */
public final class VoteQuorumApi {
    public static final String GROUP = "votequorum.io";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    public static final String QUORUM_STATUS_SHORT_NAME = "qs";
    public static final String POLICY_SHORT_NAME = "vqp";

    /** On a policy or a Node: stops every action on what it covers. */
    public static final String PAUSED_ANNOTATION = GROUP + "/paused";
    /**
     * On a Node: an RFC 3339 time at which an administrator or another fencer confirmed that the node
     * is off. It lets the ladder's step 3 (out-of-service or forced deletion) run for a fencing that
     * began no later than that time.
     */
    public static final String CONFIRMED_OFF_ANNOTATION = GROUP + "/confirmed-off";
    /** On a Node: the corosync node id, when the Node's name differs from the corosync node name. */
    public static final String NODE_ID_LABEL = GROUP + "/node-id";
    /**
     * On a Node: the corosync cluster (totem.cluster_name) it belongs to. A Node without a QuorumStatus of
     * its own is mapped to a corosync node only with it: node ids and names repeat across clusters.
     */
    public static final String CLUSTER_LABEL = GROUP + "/cluster";
    /** On a policy: the operator lets go of the Nodes the policy fenced before the policy is deleted. */
    public static final String POLICY_FINALIZER = GROUP + "/release-nodes";
    /** Taint key the operator puts on a node outside the quorate partition. */
    public static final String INQUORATE_TAINT = GROUP + "/inquorate";

    /** The most votes and expected votes: corosync's limit ({@link Votequorum#MAX_TOTAL_VOTES}). */
    public static final int MAX_TOTAL_VOTES = Votequorum.MAX_TOTAL_VOTES;
    /** The CEL rule on every votes and expectedVotes field. */
    public static final String VOTES_LIMIT_RULE = "self <= " + MAX_TOTAL_VOTES;

    public static final String VOTES_LIMIT_MESSAGE = "votes and expectedVotes must be at most " + MAX_TOTAL_VOTES
            + ": corosync keeps quorum in 8 bits and computes it wrongly for more votes in all";

    private VoteQuorumApi() {}
}
