package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** The node's quorum state as its agent last read it from votequorum. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class QuorumStatusStatus {

    @JsonPropertyDescription("Kubernetes node this report is for.")
    private String nodeName;

    @JsonPropertyDescription("corosync node id of this node.")
    private Long nodeId;

    @JsonPropertyDescription("corosync cluster name (totem.cluster_name).")
    private String clusterName;

    @JsonPropertyDescription("Whether this node is in a quorate partition. Unset when corosync cannot be reached.")
    private Boolean quorate;

    @JsonPropertyDescription("The membership this report belongs to.")
    private RingId ringId;

    @JsonPropertyDescription("Votes this node carries.")
    private Integer nodeVotes;

    @JsonPropertyDescription("Expected votes in the cluster.")
    private Integer expectedVotes;

    @JsonPropertyDescription("Highest expected votes of all members.")
    private Integer highestExpected;

    @JsonPropertyDescription("Votes present in this node's partition.")
    private Integer totalVotes;

    @JsonPropertyDescription("Votes needed for quorum.")
    private Integer quorum;

    @JsonPropertyDescription("votequorum flags that are set.")
    private List<QuorumFlag> flags = new ArrayList<>();

    @JsonPropertyDescription("The quorum device, when one is configured.")
    private Qdevice qdevice;

    @JsonPropertyDescription(
            "The quorum device corosync.conf declares, and the Lease-backed device's state while a policy runs it.")
    private DeviceLease deviceLease;

    @JsonPropertyDescription(
            "Fences of nodes outside this node's partition that another fencer (Pacemaker) completed, read while this node is quorate and a node is outside its partition.")
    private FencingHistory fencingHistory;

    @JsonPropertyDescription("Number of members in this node's partition.")
    private Integer memberCount;

    @JsonPropertyDescription("The cluster's nodes as this node sees them.")
    private List<Member> members = new ArrayList<>();

    @JsonPropertyDescription("When quorate last changed.")
    private String lastTransitionTime;

    @JsonPropertyDescription("Votes and expected votes the agent applied from the spec.")
    private AppliedVotes applied;

    @JsonPropertyDescription("metadata.generation of the spec the agent last acted on.")
    private Long observedGeneration;

    @JsonPropertyDescription(
            "Set when the agent fences its own node (noQuorumAction SelfFence): the time by which its action should have taken the node down. For people: the operator counts the node as off only once its watchdog's safe time has passed, or on a confirmation.")
    private String selfFenceDeadline;

    @JsonPropertyDescription("The watchdog that backs self-fencing, while the node is set to fence itself.")
    private WatchdogStatus watchdog;

    @JsonPropertyDescription(
            "The boot of the node this report comes from (/proc/sys/kernel/random/boot_id, as the kubelet reports it in the Node's nodeInfo.bootID): what the report says of the watchdog holds for this boot only.")
    private String bootId;

    @JsonPropertyDescription(
            "CorosyncReachable, Quorate, Applied, and SelfFence and Watchdog when the node is set to fence itself.")
    private List<Condition> conditions = new ArrayList<>();

    public String getNodeName() {
        return nodeName;
    }

    public void setNodeName(String nodeName) {
        this.nodeName = nodeName;
    }

    public String getBootId() {
        return bootId;
    }

    public void setBootId(String bootId) {
        this.bootId = bootId;
    }

    public String getSelfFenceDeadline() {
        return selfFenceDeadline;
    }

    public void setSelfFenceDeadline(String selfFenceDeadline) {
        this.selfFenceDeadline = selfFenceDeadline;
    }

    public WatchdogStatus getWatchdog() {
        return watchdog;
    }

    public void setWatchdog(WatchdogStatus watchdog) {
        this.watchdog = watchdog;
    }

    public Long getNodeId() {
        return nodeId;
    }

    public void setNodeId(Long nodeId) {
        this.nodeId = nodeId;
    }

    public String getClusterName() {
        return clusterName;
    }

    public void setClusterName(String clusterName) {
        this.clusterName = clusterName;
    }

    public Boolean getQuorate() {
        return quorate;
    }

    public void setQuorate(Boolean quorate) {
        this.quorate = quorate;
    }

    public RingId getRingId() {
        return ringId;
    }

    public void setRingId(RingId ringId) {
        this.ringId = ringId;
    }

    public Integer getNodeVotes() {
        return nodeVotes;
    }

    public void setNodeVotes(Integer nodeVotes) {
        this.nodeVotes = nodeVotes;
    }

    public Integer getExpectedVotes() {
        return expectedVotes;
    }

    public void setExpectedVotes(Integer expectedVotes) {
        this.expectedVotes = expectedVotes;
    }

    public Integer getHighestExpected() {
        return highestExpected;
    }

    public void setHighestExpected(Integer highestExpected) {
        this.highestExpected = highestExpected;
    }

    public Integer getTotalVotes() {
        return totalVotes;
    }

    public void setTotalVotes(Integer totalVotes) {
        this.totalVotes = totalVotes;
    }

    public Integer getQuorum() {
        return quorum;
    }

    public void setQuorum(Integer quorum) {
        this.quorum = quorum;
    }

    public List<QuorumFlag> getFlags() {
        return flags;
    }

    public void setFlags(List<QuorumFlag> flags) {
        this.flags = flags;
    }

    public Qdevice getQdevice() {
        return qdevice;
    }

    public void setQdevice(Qdevice qdevice) {
        this.qdevice = qdevice;
    }

    public FencingHistory getFencingHistory() {
        return fencingHistory;
    }

    public void setFencingHistory(FencingHistory fencingHistory) {
        this.fencingHistory = fencingHistory;
    }

    public DeviceLease getDeviceLease() {
        return deviceLease;
    }

    public void setDeviceLease(DeviceLease deviceLease) {
        this.deviceLease = deviceLease;
    }

    public Integer getMemberCount() {
        return memberCount;
    }

    public void setMemberCount(Integer memberCount) {
        this.memberCount = memberCount;
    }

    public List<Member> getMembers() {
        return members;
    }

    public void setMembers(List<Member> members) {
        this.members = members;
    }

    public String getLastTransitionTime() {
        return lastTransitionTime;
    }

    public void setLastTransitionTime(String lastTransitionTime) {
        this.lastTransitionTime = lastTransitionTime;
    }

    public AppliedVotes getApplied() {
        return applied;
    }

    public void setApplied(AppliedVotes applied) {
        this.applied = applied;
    }

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
