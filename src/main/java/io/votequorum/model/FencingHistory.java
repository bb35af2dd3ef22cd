package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * What another fencer on this node's cluster says it fenced: Pacemaker's fencing history as this
 * node's agent last read it, kept to the nodes outside this node's partition.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record FencingHistory(
        @JsonPropertyDescription("The fencer read: Pacemaker.")
        String source,

        @JsonPropertyDescription(
                "For each node outside this node's partition, its last fence that took it down (off or reboot, carried out by a device; manual confirmations are left out).")
        List<CompletedFence> fenced,

        @JsonPropertyDescription("Why the history could not be read, when it could not.")
        String message) {

    public static final String PACEMAKER = "Pacemaker";

    public FencingHistory {
        fenced = fenced == null ? List.of() : List.copyOf(fenced);
    }

    /** One completed fence of a node. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record CompletedFence(
            @JsonPropertyDescription("The node fenced, by the fencer's name for it.")
            String node,

            @JsonPropertyDescription("Its corosync node id, when corosync's nodelist names it.")
            Long nodeId,

            @JsonPropertyDescription("off or reboot.") String action,

            @JsonPropertyDescription(
                    "When the fence completed, by the recording node's clock (RFC 3339, to the nanosecond).")
            String completed,

            @JsonPropertyDescription("The node whose device carried it out.")
            String delegate,

            @JsonPropertyDescription("The node that asked for it.")
            String origin) {}
}
