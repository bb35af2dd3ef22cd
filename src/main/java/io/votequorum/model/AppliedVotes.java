package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What the agent last applied through setvotes and setexpected, and from which spec generation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record AppliedVotes(
        @JsonPropertyDescription("Votes applied to this node.")
        Integer votes,

        @JsonPropertyDescription("Expected votes applied to the cluster.")
        Integer expectedVotes,

        @JsonPropertyDescription("metadata.generation of the QuorumStatus spec that was applied.")
        Long generation) {}
