package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** How nodes outside the quorate partition are fenced, step by step, and when they are let back. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class FencingSpec {

    /** Go's time.Duration form, as Kubernetes uses it: 500ms, 30s, 2m, 1h30m. */
    static final String DURATION_RULE = "self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$')";

    @JsonPropertyDescription(
            "Disabled: no fencing. DryRun: Events and status say what would be done, nothing changes. Enforce: fence.")
    @Default("DryRun")
    private FencingMode mode = FencingMode.DryRun;

    @JsonPropertyDescription("How long a node stays cordoned before its pods are evicted and it is tainted NoExecute.")
    @Default("10s")
    @ValidationRule(value = DURATION_RULE, message = "evictAfter must be a duration such as 10s, 2m or 1h30m")
    private String evictAfter = "10s";

    @JsonPropertyDescription(
            "How long after a node is first excluded to wait for proof that it is off (its watchdog's safe time, or a confirmation) before the status and a warning Event say that it waits and how to confirm it. A missing heartbeat is never proof.")
    @Default("60s")
    @ValidationRule(value = DURATION_RULE, message = "fenceTimeout must be a duration such as 60s, 5m or 1h")
    private String fenceTimeout = "60s";

    @JsonPropertyDescription(
            "Added to a self-fencing node's safe time (exclusion first seen + selfFenceAfter + watchdog timeout) for clock skew between the operator and the node and for corosync's detection on the lost side (token + consensus).")
    @Default("10s")
    @ValidationRule(value = DURATION_RULE, message = "safetyMargin must be a duration such as 10s or 1m")
    private String safetyMargin = "10s";

    @JsonPropertyDescription("What to do once the node is known to be off: OutOfServiceTaint or ResourceDeletion.")
    @Default("OutOfServiceTaint")
    private ConfirmedFenceAction confirmedAction = ConfirmedFenceAction.OutOfServiceTaint;

    @JsonPropertyDescription("The most nodes that may be fenced at once. Beyond it the operator stops and says so.")
    @Default("1")
    @ValidationRule(
            value = "self >= 1",
            message = "maxFencedNodes must be at least 1; to turn fencing off set mode: Disabled")
    private Integer maxFencedNodes = 1;

    @JsonPropertyDescription("How long a node must be a member of the quorate partition again before it is unfenced.")
    @Default("30s")
    @ValidationRule(value = DURATION_RULE, message = "healthyDelay must be a duration such as 30s, 2m or 1h")
    private String healthyDelay = "30s";

    @JsonPropertyDescription("Pods that eviction and forced deletion leave alone.")
    private ExemptPods exemptPods = new ExemptPods();

    @JsonPropertyDescription("What the agent on the lost side does: None, or SelfFence (the node fences itself).")
    @Default("None")
    private NoQuorumAction noQuorumAction = NoQuorumAction.None;

    @JsonPropertyDescription(
            "With noQuorumAction SelfFence: how long the agent on the lost side waits for quorum to return before it fences its node.")
    @Default("30s")
    @ValidationRule(value = DURATION_RULE, message = "selfFenceAfter must be a duration such as 30s, 2m or 1h")
    private String selfFenceAfter = "30s";

    public FencingMode getMode() {
        return mode;
    }

    public void setMode(FencingMode mode) {
        this.mode = mode;
    }

    public String getEvictAfter() {
        return evictAfter;
    }

    public void setEvictAfter(String evictAfter) {
        this.evictAfter = evictAfter;
    }

    public String getFenceTimeout() {
        return fenceTimeout;
    }

    public void setFenceTimeout(String fenceTimeout) {
        this.fenceTimeout = fenceTimeout;
    }

    public String getSafetyMargin() {
        return safetyMargin;
    }

    public void setSafetyMargin(String safetyMargin) {
        this.safetyMargin = safetyMargin;
    }

    public ConfirmedFenceAction getConfirmedAction() {
        return confirmedAction;
    }

    public void setConfirmedAction(ConfirmedFenceAction confirmedAction) {
        this.confirmedAction = confirmedAction;
    }

    public Integer getMaxFencedNodes() {
        return maxFencedNodes;
    }

    public void setMaxFencedNodes(Integer maxFencedNodes) {
        this.maxFencedNodes = maxFencedNodes;
    }

    public String getHealthyDelay() {
        return healthyDelay;
    }

    public void setHealthyDelay(String healthyDelay) {
        this.healthyDelay = healthyDelay;
    }

    public ExemptPods getExemptPods() {
        return exemptPods;
    }

    public void setExemptPods(ExemptPods exemptPods) {
        this.exemptPods = exemptPods;
    }

    public NoQuorumAction getNoQuorumAction() {
        return noQuorumAction;
    }

    public void setNoQuorumAction(NoQuorumAction noQuorumAction) {
        this.noQuorumAction = noQuorumAction;
    }

    public String getSelfFenceAfter() {
        return selfFenceAfter;
    }

    public void setSelfFenceAfter(String selfFenceAfter) {
        this.selfFenceAfter = selfFenceAfter;
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
