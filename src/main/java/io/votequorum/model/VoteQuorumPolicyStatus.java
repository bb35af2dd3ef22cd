package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator made of the policy: validity, the quorate partition and the fenced nodes. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class VoteQuorumPolicyStatus {

    @JsonPropertyDescription("metadata.generation of the spec this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription(
            "Valid, Applied, Quorate, QuorumAtRisk, QuorumDevice, Fencing, ActionsSucceeded, Paused and Unsafe.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The quorate partition, when one is settled.")
    private Partition partition;

    @JsonPropertyDescription("The Lease-backed quorum device, while the policy runs it.")
    private QuorumDeviceStatus quorumDevice;

    @JsonPropertyDescription("Number of fenced nodes.")
    private Integer fencedCount;

    @JsonPropertyDescription("Nodes outside the quorate partition and their fencing stage.")
    private List<FencedNode> fencedNodes = new ArrayList<>();

    @JsonPropertyDescription(
            "Nodes of this cluster that map to no corosync node, with the reason: they are never fenced.")
    private List<UnmappedNode> unmappedNodes = new ArrayList<>();

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public Partition getPartition() {
        return partition;
    }

    public void setPartition(Partition partition) {
        this.partition = partition;
    }

    public QuorumDeviceStatus getQuorumDevice() {
        return quorumDevice;
    }

    public void setQuorumDevice(QuorumDeviceStatus quorumDevice) {
        this.quorumDevice = quorumDevice;
    }

    public Integer getFencedCount() {
        return fencedCount;
    }

    public void setFencedCount(Integer fencedCount) {
        this.fencedCount = fencedCount;
    }

    public List<FencedNode> getFencedNodes() {
        return fencedNodes;
    }

    public void setFencedNodes(List<FencedNode> fencedNodes) {
        this.fencedNodes = fencedNodes;
    }

    public List<UnmappedNode> getUnmappedNodes() {
        return unmappedNodes;
    }

    public void setUnmappedNodes(List<UnmappedNode> unmappedNodes) {
        this.unmappedNodes = unmappedNodes;
    }

    /** Equal when their JSON is: no field can be left out. */
    @Override
    public boolean equals(Object o) {
        return Serialised.same(this, o);
    }

    @Override
    public int hashCode() {
        return Serialised.hash(this);
    }
}
