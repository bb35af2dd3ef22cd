package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** What the operator asks the agent to apply on this node. Written only from the quorate partition. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class QuorumStatusSpec {

    @JsonPropertyDescription("Votes this node should carry (corosync setvotes). Unset leaves corosync's value alone.")
    @ValidationRule(value = "self >= 0", message = "votes must be 0 or more")
    @ValidationRule(value = VoteQuorumApi.VOTES_LIMIT_RULE, message = VoteQuorumApi.VOTES_LIMIT_MESSAGE)
    private Integer votes;

    @JsonPropertyDescription(
            "Expected votes for the cluster (corosync setexpected). Unset leaves corosync's value alone.")
    @ValidationRule(value = "self >= 1", message = "expectedVotes must be at least 1")
    @ValidationRule(value = VoteQuorumApi.VOTES_LIMIT_RULE, message = VoteQuorumApi.VOTES_LIMIT_MESSAGE)
    private Integer expectedVotes;

    @JsonPropertyDescription(
            "Set from a policy whose noQuorumAction is SelfFence: how long this node may be without quorum before its agent fences it. Unset: the agent never fences its node.")
    @ValidationRule(
            value = FencingSpec.DURATION_RULE,
            message = "selfFenceAfter must be a duration such as 30s, 2m or 1h")
    private String selfFenceAfter;

    @JsonPropertyDescription(
            "Set from a policy that runs the Lease-backed quorum device, with leaseName resolved. Unset: the agent casts no device vote.")
    private QuorumDeviceSpec quorumDevice;

    @JsonPropertyDescription("Name of the VoteQuorumPolicy these values come from.")
    private String policy;

    @JsonPropertyDescription("metadata.generation of that policy when these values were written.")
    private Long policyGeneration;

    public Integer getVotes() {
        return votes;
    }

    public void setVotes(Integer votes) {
        this.votes = votes;
    }

    public Integer getExpectedVotes() {
        return expectedVotes;
    }

    public void setExpectedVotes(Integer expectedVotes) {
        this.expectedVotes = expectedVotes;
    }

    public String getSelfFenceAfter() {
        return selfFenceAfter;
    }

    public void setSelfFenceAfter(String selfFenceAfter) {
        this.selfFenceAfter = selfFenceAfter;
    }

    public QuorumDeviceSpec getQuorumDevice() {
        return quorumDevice;
    }

    public void setQuorumDevice(QuorumDeviceSpec quorumDevice) {
        this.quorumDevice = quorumDevice;
    }

    public String getPolicy() {
        return policy;
    }

    public void setPolicy(String policy) {
        this.policy = policy;
    }

    public Long getPolicyGeneration() {
        return policyGeneration;
    }

    public void setPolicyGeneration(Long policyGeneration) {
        this.policyGeneration = policyGeneration;
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
