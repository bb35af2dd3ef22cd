package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.votequorum.model.Conditions;
import io.votequorum.model.QuorumStatus;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** {@link Outside} through the fabric8 client. */
final class KubernetesOutside implements Outside {

    private static final Logger LOG = Logger.getLogger(KubernetesOutside.class);
    /** Events about cluster-scoped objects live in the default namespace, as kubectl describe expects. */
    static final String EVENT_NAMESPACE = "default";

    private final KubernetesClient client;
    private final NodeApi nodes;

    KubernetesOutside(KubernetesClient client) {
        this.client = client;
        this.nodes = new KubernetesNodeApi(client, KubernetesNodeApi.evictionClient(client));
    }

    @Override
    public NodeApi nodes() {
        return nodes;
    }

    @Override
    public void applySpec(QuorumStatus desired) {
        client.resource(desired)
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(PolicyVotes.FIELD_MANAGER)
                        .withForce(true)
                        .build());
    }

    @Override
    public void event(HasMetadata about, String type, String reason, String message) {
        String now = Conditions.timestamp(Instant.now());
        try {
            client.v1()
                    .events()
                    .inNamespace(EVENT_NAMESPACE)
                    .resource(new EventBuilder()
                            .withNewMetadata()
                            .withGenerateName(about.getMetadata().getName() + ".")
                            .withNamespace(EVENT_NAMESPACE)
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

    /**
     * From the kubernetes Service's EndpointSlice, or, where no controller mirrors it, from the
     * Endpoints the API server writes.
     */
    @Override
    public Set<String> apiServerAddresses() {
        EndpointSlice slice = client.discovery()
                .v1()
                .endpointSlices()
                .inNamespace("default")
                .withName("kubernetes")
                .get();
        if (slice != null) {
            return slice.getEndpoints().stream()
                    .flatMap(e -> e.getAddresses().stream())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        Endpoints endpoints =
                client.endpoints().inNamespace("default").withName("kubernetes").get();
        if (endpoints == null) {
            throw new IllegalStateException("neither the EndpointSlice nor the Endpoints exist");
        }
        return endpoints.getSubsets().stream()
                .flatMap(s -> s.getAddresses().stream())
                .map(EndpointAddress::getIp)
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
