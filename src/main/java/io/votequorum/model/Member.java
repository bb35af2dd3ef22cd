package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A corosync node as the reporting node sees it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Member(
        @JsonPropertyDescription("corosync node id.") long nodeId,

        @JsonPropertyDescription("Node name from corosync's nodelist.")
        String name,

        @JsonPropertyDescription("Votes this node carries.") int votes,
        @JsonPropertyDescription("Member, Dead or Leaving.") MemberState state,

        @JsonPropertyDescription(
                "Since when the reporting agent has seen the node in this state, by its clock (RFC 3339, to the nanosecond); from the agent's start when it saw no change.")
        String since) {

    /** A node without the time its state was first seen. */
    public Member(long nodeId, String name, int votes, MemberState state) {
        this(nodeId, name, votes, state, null);
    }

    /** The same node, its state seen since {@code since}. */
    public Member since(String since) {
        return new Member(nodeId, name, votes, state, since);
    }
}
