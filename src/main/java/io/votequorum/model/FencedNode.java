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

        @JsonPropertyDescription(
                "When fencing of this node began: the quorate partition excluding it was first seen, this time.")
        String since,

        @JsonPropertyDescription(
                "At stage Fenced: the evidence that the node is off (its watchdog's safe time passed, a confirmation, another fencer's fence).")
        String evidence,

        @JsonPropertyDescription(
                "When the node was first seen back in the quorate partition; it is unfenced healthyDelay later.")
        String healthySince,

        @JsonPropertyDescription(
                "At stage Fenced: the time from which the evidence shows the node off; a sign of life after it voids the evidence.")
        String offSince,

        @JsonPropertyDescription(
                "The node's boot (the kubelet's bootID) the record is about; a node that booted again since is alive again.")
        String bootId) {

    /** A node on the ladder without a healthy clock or the time its evidence counts from. */
    public FencedNode(String nodeName, FenceStage stage, String reason, String since, String evidence) {
        this(nodeName, stage, reason, since, evidence, null, null, null);
    }
}
