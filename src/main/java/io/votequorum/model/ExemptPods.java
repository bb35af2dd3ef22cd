package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** Pods that eviction and forced deletion leave alone on a fenced node. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ExemptPods {

    @JsonPropertyDescription("Pods matching this selector are left alone.")
    private LabelSelector selector;

    @JsonPropertyDescription("Leave pods owned by a DaemonSet alone (they would only come back).")
    @Default("true")
    private Boolean daemonSetPods = true;

    @JsonPropertyDescription("Leave static (mirror) pods alone; the API server cannot evict them.")
    @Default("true")
    private Boolean mirrorPods = true;

    public LabelSelector getSelector() {
        return selector;
    }

    public void setSelector(LabelSelector selector) {
        this.selector = selector;
    }

    public Boolean getDaemonSetPods() {
        return daemonSetPods;
    }

    public void setDaemonSetPods(Boolean daemonSetPods) {
        this.daemonSetPods = daemonSetPods;
    }

    public Boolean getMirrorPods() {
        return mirrorPods;
    }

    public void setMirrorPods(Boolean mirrorPods) {
        this.mirrorPods = mirrorPods;
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
