package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A Kubernetes Node that the policy cannot map to a corosync node: it is never fenced. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record UnmappedNode(
        @JsonPropertyDescription("Kubernetes node name.") String nodeName,

        @JsonPropertyDescription("Why it maps to no corosync node, and what to fix.")
        String reason) {}
