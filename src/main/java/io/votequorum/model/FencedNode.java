package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A node outside the quorate partition, and how far it has been fenced. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record FencedNode(
        @JsonPropertyDescription("Kubernetes node name.") String nodeName,

        @JsonPropertyDescription("Cordoned, Evicted or Fenced.")
        FenceStage stage,

        @JsonPropertyDescription("Why the node is fenced.") String reason,

        @JsonPropertyDescription("When fencing of this node began: the quorate partition excluding it was first seen.")
        String since,

        @JsonPropertyDescription(
                "At stage Fenced: the evidence that the node is off (its watchdog's safe time passed, or a confirmation).")
        String evidence) {}
