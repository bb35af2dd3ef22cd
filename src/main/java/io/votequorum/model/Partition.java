package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The quorate partition as the operator settled it from the nodes' reports. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Partition(
        @JsonPropertyDescription("The membership the quorate nodes agree on.")
        RingId ringId,

        @JsonPropertyDescription("Kubernetes node names of the members (corosync's node name, or its node id, where"
                + " no Node maps to it).")
        List<String> members,

        @JsonPropertyDescription("Number of members.") Integer memberCount,

        @JsonPropertyDescription("Votes present in the partition.")
        Integer totalVotes,

        @JsonPropertyDescription("Votes needed for quorum.") Integer quorum,

        @JsonPropertyDescription("Votes the partition can lose and stay quorate.")
        Integer votesToSpare,

        @JsonPropertyDescription("Members whose loss alone would break quorum: each holds more votes than the partition"
                + " can spare. The QuorumAtRisk condition is True while any exists.")
        List<String> criticalNodes) {}
