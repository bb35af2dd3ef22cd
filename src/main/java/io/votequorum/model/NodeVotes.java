package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** Votes for the nodes one entry names: a single node by name, or every node a selector matches. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@ValidationRule(
        value = "has(self.nodeName) != has(self.nodeSelector)",
        message = "each votes entry must name exactly one of nodeName or nodeSelector")
public class NodeVotes {

    @JsonPropertyDescription("Kubernetes node name.")
    private String nodeName;

    @JsonPropertyDescription("Selects Kubernetes nodes by label.")
    private LabelSelector nodeSelector;

    @Required
    @JsonPropertyDescription("Votes each selected node carries. 0 takes the node's vote away.")
    @ValidationRule(value = "self >= 0", message = "votes must be 0 or more; 0 takes the node's vote away")
    @ValidationRule(value = VoteQuorumApi.VOTES_LIMIT_RULE, message = VoteQuorumApi.VOTES_LIMIT_MESSAGE)
    private Integer votes;

    public NodeVotes() {}

    public NodeVotes(String nodeName, LabelSelector nodeSelector, Integer votes) {
        this.nodeName = nodeName;
        this.nodeSelector = nodeSelector;
        this.votes = votes;
    }

    public String getNodeName() {
        return nodeName;
    }

    public void setNodeName(String nodeName) {
        this.nodeName = nodeName;
    }

    public LabelSelector getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(LabelSelector nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public Integer getVotes() {
        return votes;
    }

    public void setVotes(Integer votes) {
        this.votes = votes;
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
