package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.votequorum.model.Conditions;
import java.time.Instant;
import org.jboss.logging.Logger;

/** Kubernetes Events about a policy: every fence, unfence, refusal, and what a dry run would do. */
final class PolicyEvents {

    private static final Logger LOG = Logger.getLogger(PolicyEvents.class);
    /** Events about cluster-scoped objects live in the default namespace, as kubectl describe expects. */
    static final String NAMESPACE = "default";

    private final KubernetesClient client;

    PolicyEvents(KubernetesClient client) {
        this.client = client;
    }

    void normal(HasMetadata about, String reason, String message) {
        emit(about, "Normal", reason, message);
    }

    void warning(HasMetadata about, String reason, String message) {
        emit(about, "Warning", reason, message);
    }

    private void emit(HasMetadata about, String type, String reason, String message) {
        String now = Conditions.timestamp(Instant.now());
        try {
            client.v1()
                    .events()
                    .inNamespace(NAMESPACE)
                    .resource(new EventBuilder()
                            .withNewMetadata()
                            .withGenerateName(about.getMetadata().getName() + ".")
                            .withNamespace(NAMESPACE)
                            .endMetadata()
                            .withNewInvolvedObject()
                            .withApiVersion(about.getApiVersion())
                            .withKind(about.getKind())
                            .withName(about.getMetadata().getName())
                            .withUid(about.getMetadata().getUid())
                            .endInvolvedObject()
                            .withType(type)
                            .withReason(reason)
                            .withMessage(message)
                            .withCount(1)
                            .withFirstTimestamp(now)
                            .withLastTimestamp(now)
                            .withNewSource()
                            .withComponent("votequorum-operator")
                            .endSource()
                            .build())
                    .create();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot record Event %s %s: %s", reason, message, e.getMessage());
        }
    }
}
