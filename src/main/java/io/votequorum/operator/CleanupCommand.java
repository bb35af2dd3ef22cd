package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.VoteQuorumPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * `cleanup`: before the operator is uninstalled, removes from every Node exactly what the operator's
 * {@value FenceAnnotation#KEY} record says it added (the cordon, the taints, the record itself) and
 * the CorosyncQuorum condition it wrote, so no Node stays fenced, and nothing an administrator added
 * is touched; then the policies lose the operator's finalizer, which would otherwise keep them once the
 * operator is gone. Runs once with the operator's service account and exits.
 */
@ApplicationScoped
public class CleanupCommand {

    private static final Logger LOG = Logger.getLogger(CleanupCommand.class);
    static final int EXIT_OK = 0;
    static final int EXIT_ERROR = 1;

    @Inject
    KubernetesClient client;

    public int run(List<String> args) {
        if (!args.isEmpty()) {
            System.err.println("usage: votequorum-operator cleanup\n\n  Removes from every Node what the operator "
                    + "added (cordon, taints, its record, the CorosyncQuorum condition); run it before uninstalling.");
            return args.contains("-h") || args.contains("--help") ? EXIT_OK : 64;
        }
        List<Node> nodes;
        try {
            nodes = client.nodes().list().getItems();
        } catch (KubernetesClientException e) {
            LOG.errorf(
                    "cleanup: cannot list Nodes (%s); check the API server and that this runs with the operator's "
                            + "service account",
                    e.getMessage());
            return EXIT_ERROR;
        }
        int unfenced = 0;
        int failed = 0;
        for (Node node : nodes) {
            String name = node.getMetadata().getName();
            try {
                Optional<FenceAnnotation> record =
                        FenceAnnotation.of(node.getMetadata().getAnnotations());
                if (record.isPresent()) {
                    new KubernetesNodeActions(client, client, record.get().cluster()).unfence(node);
                    LOG.infof(
                            "cleanup: %s: removed what the operator added (cordon: %s, taints: %s)",
                            name, record.get().cordoned(), record.get().taints());
                    unfenced++;
                }
                if (hasQuorumCondition(node)) {
                    withdrawQuorumCondition(name);
                }
            } catch (IllegalStateException e) {
                LOG.warnf(
                        "cleanup: %s: %s; left as it is: remove the annotation, and only what you know the operator "
                                + "added, by hand",
                        name, e.getMessage());
            } catch (KubernetesClientException e) {
                LOG.errorf("cleanup: %s: %s", name, e.getMessage());
                failed++;
            }
        }
        LOG.infof(
                "cleanup: %d of %d Nodes carried the operator's record and were unfenced%s",
                unfenced, nodes.size(), failed > 0 ? "; " + failed + " could not be changed" : "");
        failed += releasePolicies();
        return failed > 0 ? EXIT_ERROR : EXIT_OK;
    }

    /**
     * The policies lose the operator's finalizer, so that they can be deleted once the operator is
     * gone: there is nothing left for it to release.
     */
    private int releasePolicies() {
        int failed = 0;
        List<VoteQuorumPolicy> policies;
        try {
            policies = client.resources(VoteQuorumPolicy.class).list().getItems();
        } catch (KubernetesClientException e) {
            LOG.errorf("cleanup: cannot list the VoteQuorumPolicies: %s", e.getMessage());
            return 1;
        }
        for (VoteQuorumPolicy policy : policies) {
            List<String> finalizers = policy.getMetadata().getFinalizers();
            if (finalizers == null || !finalizers.contains(VoteQuorumApi.POLICY_FINALIZER)) {
                continue;
            }
            try {
                client.resources(VoteQuorumPolicy.class)
                        .withName(policy.getMetadata().getName())
                        .edit(p -> {
                            p.getMetadata().getFinalizers().remove(VoteQuorumApi.POLICY_FINALIZER);
                            return p;
                        });
                LOG.infof("cleanup: policy %s released", policy.getMetadata().getName());
            } catch (KubernetesClientException e) {
                LOG.errorf("cleanup: policy %s: %s", policy.getMetadata().getName(), e.getMessage());
                failed++;
            }
        }
        return failed;
    }

    private static boolean hasQuorumCondition(Node node) {
        return node.getStatus() != null
                && node.getStatus().getConditions() != null
                && node.getStatus().getConditions().stream()
                        .anyMatch(c -> KubernetesNodeActions.QUORUM_CONDITION.equals(c.getType()));
    }

    /** Applying an empty status as the operator's field manager gives up the condition it owns. */
    private void withdrawQuorumCondition(String node) {
        client.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName(node)
                        .endMetadata()
                        .withNewStatus()
                        .endStatus()
                        .build())
                .subresource("status")
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(PolicyVotes.FIELD_MANAGER)
                        .withForce(true)
                        .build());
    }
}
