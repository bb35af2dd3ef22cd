package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.storage.VolumeAttachment;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.function.UnaryOperator;

/** {@link NodeApi} through the fabric8 client. */
public final class KubernetesNodeApi implements NodeApi {

    private final KubernetesClient client;
    private final KubernetesClient evictions;

    /**
     * @param evictions a client that does not retry: a budget's 429 is an answer, and the next
     *                  reconcile asks again (see {@link #evictionClient})
     */
    public KubernetesNodeApi(KubernetesClient client, KubernetesClient evictions) {
        this.client = client;
        this.evictions = evictions;
    }

    public static KubernetesClient evictionClient(KubernetesClient client) {
        return new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build();
    }

    @Override
    public Node edit(String node, UnaryOperator<Node> change) {
        return client.nodes().withName(node).edit(change);
    }

    @Override
    public List<Pod> podsOn(String node) {
        return client.pods()
                .inAnyNamespace()
                .withField("spec.nodeName", node)
                .list()
                .getItems();
    }

    @Override
    public boolean evict(Pod pod) {
        return evictions
                .pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .evict();
    }

    @Override
    public void forceDelete(Pod pod) {
        client.pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .withGracePeriod(0)
                .delete();
    }

    @Override
    public void detachVolumes(String node) {
        for (VolumeAttachment attachment :
                client.storage().v1().volumeAttachments().list().getItems()) {
            if (node.equals(attachment.getSpec().getNodeName())) {
                client.storage()
                        .v1()
                        .volumeAttachments()
                        .withName(attachment.getMetadata().getName())
                        .delete();
            }
        }
    }

    @Override
    public void applyCondition(String node, NodeCondition condition) {
        Node patch = new NodeBuilder()
                .withNewMetadata()
                .withName(node)
                .endMetadata()
                .withNewStatus()
                .addToConditions(condition)
                .endStatus()
                .build();
        client.resource(patch)
                .subresource("status")
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(PolicyVotes.FIELD_MANAGER)
                        .withForce(true)
                        .build());
    }
}
