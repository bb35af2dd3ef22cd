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
        @JsonPropertyDescription("Member, Dead or Leaving.") MemberState state) {}
