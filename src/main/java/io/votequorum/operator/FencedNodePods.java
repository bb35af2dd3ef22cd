package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.votequorum.model.VoteQuorumPolicy;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The Pods of the nodes a policy is evicting: one watch per such node (field selector
 * spec.nodeName), so the ladder moves on as soon as the last pod is gone rather than at the next
 * look. Watches exist only while a node is being evicted, so the operator never caches every Pod of
 * the Kubernetes cluster.
 */
final class FencedNodePods extends AbstractEventSource<Pod, VoteQuorumPolicy> {

    private static final Logger LOG = Logger.getLogger(FencedNodePods.class);

    private record Watched(ResourceID policy, Watch watch) {}

    private final KubernetesClient client;
    private final Cache<VoteQuorumPolicy> policies;
    // Guarded by this.
    private final Map<String, Watched> byNode = new HashMap<>();

    FencedNodePods(KubernetesClient client, Cache<VoteQuorumPolicy> policies) {
        super(Pod.class, "fenced-node-pods");
        this.client = client;
        this.policies = policies;
    }

    /** Watches the pods of exactly these nodes on behalf of this policy; a deleted policy's watches go too. */
    synchronized void track(ResourceID policy, Set<String> nodes) {
        byNode.entrySet().removeIf(e -> {
            ResourceID owner = e.getValue().policy();
            boolean drop = owner.equals(policy)
                    ? !nodes.contains(e.getKey())
                    : policies.get(owner).isEmpty();
            if (drop) {
                e.getValue().watch().close();
            }
            return drop;
        });
        for (String node : nodes) {
            if (!byNode.containsKey(node) && isRunning()) {
                LOG.infof("watching the pods of %s while they are evicted", node);
                byNode.put(node, new Watched(policy, watch(policy, node)));
            }
        }
    }

    private Watch watch(ResourceID policy, String node) {
        return client.pods().inAnyNamespace().withField("spec.nodeName", node).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                if (isRunning()) {
                    getEventHandler().handleEvent(new Event(policy));
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                LOG.debugf("pod watch of %s closed: %s", node, cause.getMessage());
                forget(node);
            }
        });
    }

    /** A watch the client gave up on: the next reconcile starts a new one. */
    private synchronized void forget(String node) {
        byNode.remove(node);
    }

    /** The pods themselves are listed when needed; this source only wakes the policy. */
    @Override
    public Set<Pod> getSecondaryResources(VoteQuorumPolicy policy) {
        return Set.of();
    }

    @Override
    public synchronized void stop() {
        byNode.values().forEach(w -> w.watch().close());
        byNode.clear();
        super.stop();
    }
}
