package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * corosync's quorum device on this node as corosync.conf declares it, and, while a policy runs the
 * Lease-backed device, what the agent makes of the Lease.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record DeviceLease(
        @JsonPropertyDescription("quorum.device.model in corosync.conf.")
        String model,

        @JsonPropertyDescription("quorum.device.votes in corosync.conf; unset lets corosync compute it.")
        Integer votes,

        @JsonPropertyDescription("quorum.device.timeout in milliseconds (corosync's default 10000).")
        Long timeoutMillis,

        @JsonPropertyDescription("quorum.device.sync_timeout in milliseconds (corosync's default 30000).")
        Long syncTimeoutMillis,

        @JsonPropertyDescription("The Lease the device follows, while a policy runs it.")
        String lease,

        @JsonPropertyDescription("The Lease's holder as this node last read it.")
        String holder,

        @JsonPropertyDescription("Whether this node casts the device's vote now.")
        Boolean casting,

        @JsonPropertyDescription("Why the vote is cast or not, or what stops the device.")
        String message) {}
