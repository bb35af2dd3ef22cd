package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The Lease-backed quorum device as the agents report it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record QuorumDeviceStatus(
        @JsonPropertyDescription("The Lease in the agents' namespace.")
        String lease,

        @JsonPropertyDescription("Its holder: corosync-node-ID@NODE, the leader of the partition that holds it.")
        String holder,

        @JsonPropertyDescription("Nodes whose agents cast the device's vote now.")
        List<String> casting) {}
