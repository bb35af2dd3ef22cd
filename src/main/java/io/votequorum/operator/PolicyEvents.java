package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** Kubernetes Events about a policy: every fence, unfence, refusal, and what a dry run would do. */
final class PolicyEvents {

    private final Outside outside;

    PolicyEvents(Outside outside) {
        this.outside = outside;
    }

    void normal(HasMetadata about, String reason, String message) {
        outside.event(about, "Normal", reason, message);
    }

    void warning(HasMetadata about, String reason, String message) {
        outside.event(about, "Warning", reason, message);
    }
}
