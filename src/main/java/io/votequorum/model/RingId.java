package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** corosync's ring id: the node that formed the membership and its sequence number. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RingId(
        @JsonPropertyDescription("Id of the node that formed this membership.")
        long nodeId,

        @JsonPropertyDescription("Sequence number of the membership.")
        long seq) {

    /** The form corosync-quorumtool prints: node id and sequence, both in hex. */
    @Override
    public String toString() {
        return Long.toHexString(nodeId) + "." + Long.toHexString(seq);
    }
}
