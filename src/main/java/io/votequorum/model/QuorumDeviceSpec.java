package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The agents as corosync's quorum device, backed by a Kubernetes Lease: the partition whose leader
 * holds the Lease gets the device's vote. For clusters without qnetd, two-node ones above all.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class QuorumDeviceSpec {

    @JsonPropertyDescription(
            "Run the quorum device. corosync.conf must declare it: quorum { device { model: kubernetes-lease votes: 1 timeout: 4000 sync_timeout: 4000 } }, without two_node.")
    @Default("false")
    private Boolean enabled = false;

    @JsonPropertyDescription(
            "Name of the Lease in the agents' namespace. Unset: votequorum-device-CLUSTER. Must start with votequorum-device-.")
    @ValidationRule(
            value = "self.startsWith('votequorum-device-') && self.size() <= 63",
            message = "leaseName must start with votequorum-device- and be at most 63 characters")
    private String leaseName;

    @JsonPropertyDescription(
            "How long the Lease holds without renewal. Must exceed corosync's quorum.device timeout + sync_timeout + clockSkewMargin + two renewIntervals; the status says when it does not.")
    @Default("15s")
    @ValidationRule(value = FencingSpec.DURATION_RULE, message = "leaseDuration must be a duration such as 15s or 1m")
    private String leaseDuration = "15s";

    @JsonPropertyDescription("How often the partition's leader renews the Lease.")
    @Default("2s")
    @ValidationRule(value = FencingSpec.DURATION_RULE, message = "renewInterval must be a duration such as 2s")
    private String renewInterval = "2s";

    @JsonPropertyDescription(
            "The most the nodes' clocks may differ (keep them in step with NTP). A vote stops this much early, and a takeover waits this much longer.")
    @Default("2s")
    @ValidationRule(value = FencingSpec.DURATION_RULE, message = "clockSkewMargin must be a duration such as 2s")
    private String clockSkewMargin = "2s";

    public Boolean getEnabled() {
        return enabled;
    }

    public void setEnabled(Boolean enabled) {
        this.enabled = enabled;
    }

    public String getLeaseName() {
        return leaseName;
    }

    public void setLeaseName(String leaseName) {
        this.leaseName = leaseName;
    }

    public String getLeaseDuration() {
        return leaseDuration;
    }

    public void setLeaseDuration(String leaseDuration) {
        this.leaseDuration = leaseDuration;
    }

    public String getRenewInterval() {
        return renewInterval;
    }

    public void setRenewInterval(String renewInterval) {
        this.renewInterval = renewInterval;
    }

    public String getClockSkewMargin() {
        return clockSkewMargin;
    }

    public void setClockSkewMargin(String clockSkewMargin) {
        this.clockSkewMargin = clockSkewMargin;
    }

    /** The Lease's name: as set, or votequorum-device-CLUSTER. */
    public String leaseNameFor(String cluster) {
        return leaseName != null ? leaseName : "votequorum-device-" + cluster;
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
