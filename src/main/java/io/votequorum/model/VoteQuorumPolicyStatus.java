package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator made of the policy: validity, the quorate partition and the fenced nodes. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class VoteQuorumPolicyStatus {

    @JsonPropertyDescription("metadata.generation of the spec this status describes.")
    private Long observedGeneration;
    @JsonPropertyDescription("Valid, Applied, Quorate, Fencing, Paused and Unsafe.")
    private List<Condition> conditions = new ArrayList<>();
    @JsonPropertyDescription("The quorate partition, when one is settled.")
    private Partition partition;
    @JsonPropertyDescription("Number of fenced nodes.")
    private Integer fencedCount;
    @JsonPropertyDescription("Nodes outside the quorate partition and their fencing stage.")
    private List<FencedNode> fencedNodes = new ArrayList<>();

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

    @Override
    public boolean equals(Object o) {
        return o instanceof VoteQuorumPolicyStatus other
                && Objects.equals(observedGeneration, other.observedGeneration)
                && Objects.equals(conditions, other.conditions)
                && Objects.equals(partition, other.partition)
                && Objects.equals(fencedCount, other.fencedCount)
                && Objects.equals(fencedNodes, other.fencedNodes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, partition, fencedCount, fencedNodes);
    }
}
