package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** The desired votes, expected votes and fencing behaviour of one corosync cluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class VoteQuorumPolicySpec {

    @Required
    @JsonPropertyDescription("corosync cluster name (totem.cluster_name) this policy governs.")
    @ValidationRule(
            value = "size(self) > 0",
            message = "clusterName must name the corosync cluster (totem.cluster_name)")
    @ValidationRule(
            value = "self == oldSelf",
            message = "clusterName cannot change; create a new policy for another cluster")
    private String clusterName;

    @JsonPropertyDescription("Votes per node. A node no entry names keeps corosync's configured votes.")
    private List<NodeVotes> votes = new ArrayList<>();

    @JsonPropertyDescription("Expected votes for the cluster. Unset leaves corosync's value alone.")
    @ValidationRule(value = "self >= 1", message = "expectedVotes must be at least 1")
    @ValidationRule(value = VoteQuorumApi.VOTES_LIMIT_RULE, message = VoteQuorumApi.VOTES_LIMIT_MESSAGE)
    private Integer expectedVotes;

    @JsonPropertyDescription(
            "Allow layouts that could let a minority, or two halves, be quorate. For deliberate maintenance only.")
    @Default("false")
    private Boolean allowUnsafe = false;

    @JsonPropertyDescription(
            "The agents as corosync's quorum device, backed by a Kubernetes Lease: the partition holding it gets the device's vote.")
    private QuorumDeviceSpec quorumDevice = new QuorumDeviceSpec();

    @JsonPropertyDescription("How nodes outside the quorate partition are fenced.")
    private FencingSpec fencing = new FencingSpec();

    public String getClusterName() {
        return clusterName;
    }

    public void setClusterName(String clusterName) {
        this.clusterName = clusterName;
    }

    public List<NodeVotes> getVotes() {
        return votes;
    }

    public void setVotes(List<NodeVotes> votes) {
        this.votes = votes;
    }

    public Integer getExpectedVotes() {
        return expectedVotes;
    }

    public void setExpectedVotes(Integer expectedVotes) {
        this.expectedVotes = expectedVotes;
    }

    public Boolean getAllowUnsafe() {
        return allowUnsafe;
    }

    public void setAllowUnsafe(Boolean allowUnsafe) {
        this.allowUnsafe = allowUnsafe;
    }

    public QuorumDeviceSpec getQuorumDevice() {
        return quorumDevice;
    }

    public void setQuorumDevice(QuorumDeviceSpec quorumDevice) {
        this.quorumDevice = quorumDevice;
    }

    public FencingSpec getFencing() {
        return fencing;
    }

    public void setFencing(FencingSpec fencing) {
        this.fencing = fencing;
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
