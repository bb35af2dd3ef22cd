package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The quorum device as votequorum reports it (node id 0). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Qdevice(
        @JsonPropertyDescription("Name the qdevice registered with.")
        String name,

        @JsonPropertyDescription("Votes the qdevice carries.")
        int votes,

        @JsonPropertyDescription("Whether the qdevice is alive.")
        boolean alive,

        @JsonPropertyDescription("Whether the qdevice casts its vote for this node.")
        boolean castVote,

        @JsonPropertyDescription("Whether the qdevice master_wins setting is on.")
        boolean masterWins) {}
