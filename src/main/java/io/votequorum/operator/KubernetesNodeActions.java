package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.model.Conditions;
import io.votequorum.model.ExemptPods;
import io.votequorum.model.FenceStage;
import io.votequorum.model.Selectors;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * The fencing ladder's side effects on Kubernetes Nodes and pods, through a {@link NodeApi}: what a
 * step adds to or removes from a Node, and the record of exactly what the operator added.
 */
public final class KubernetesNodeActions implements NodeActions {

    private static final Logger LOG = Logger.getLogger(KubernetesNodeActions.class);
    static final String MIRROR_ANNOTATION = "kubernetes.io/config.mirror";
    public static final String QUORUM_CONDITION = "CorosyncQuorum";

    private final NodeApi api;
    private final String cluster;
    private final Clock clock;

    /** @param cluster the corosync cluster whose policy acts; recorded on every Node it fences */
    public KubernetesNodeActions(NodeApi api, String cluster, Clock clock) {
        this.api = api;
        this.cluster = cluster;
        this.clock = clock;
    }

    public KubernetesNodeActions(KubernetesClient client, KubernetesClient evictions, String cluster) {
        this(new KubernetesNodeApi(client, evictions), cluster, Clock.systemUTC());
    }

    @Override
    public void cordon(Node node, FenceRecord record) {
        edit(node, record, KubernetesNodeActions::cordoned);
    }

    /** Cordoned and tainted NoSchedule; below stage Fenced, without the operator's out-of-service taint. */
    private static FenceAnnotation cordoned(Node n, FenceAnnotation fence) {
        FenceAnnotation updated = fence;
        if (!Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
            n.getSpec().setUnschedulable(true);
            updated = updated.withCordon();
        }
        if (updated.stage() != FenceStage.Fenced) {
            updated = removeTaint(n, Taints.OUT_OF_SERVICE_TAINT, updated);
        }
        return addTaint(n, Taints.INQUORATE_NO_SCHEDULE, updated);
    }

    @Override
    public int evict(Node node, FenceRecord record, ExemptPods exempt) {
        Node cordoned = edit(node, record, KubernetesNodeActions::cordoned);
        String name = node.getMetadata().getName();
        int remaining = 0;
        int evicted = 0;
        for (Pod pod : api.podsOn(name)) {
            if (exempt(pod, exempt) || pod.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (api.evict(pod)) {
                evicted++;
                LOG.infof(
                        "evicted pod %s/%s from %s",
                        pod.getMetadata().getNamespace(), pod.getMetadata().getName(), name);
            } else {
                remaining++; // 429: a PodDisruptionBudget holds it back for now
            }
        }
        int done = evicted;
        int left = remaining;
        // NoExecute only once the evictable pods are gone: the taint manager would delete them past their budgets.
        edit(cordoned, record, (n, fence) -> {
            FenceAnnotation updated =
                    done == 0 ? fence : fence.withEvicted((fence.evicted() == null ? 0 : fence.evicted()) + done);
            return left == 0 ? addTaint(n, Taints.INQUORATE_NO_EXECUTE, updated) : updated;
        });
        return remaining;
    }

    @Override
    public void markOutOfService(Node node, FenceRecord record) {
        edit(node, record, (n, fence) -> addTaint(n, Taints.OUT_OF_SERVICE_TAINT, fence));
    }

    @Override
    public void deleteWorkloads(Node node, FenceRecord record, ExemptPods exempt) {
        String name = node.getMetadata().getName();
        for (Pod pod : api.podsOn(name)) {
            if (!exempt(pod, exempt)) {
                api.forceDelete(pod);
            }
        }
        api.detachVolumes(name);
        edit(node, record, (n, fence) -> fence);
    }

    @Override
    public void record(Node node, FenceRecord record) {
        edit(node, record, (n, fence) -> fence);
    }

    @Override
    public void unfence(Node node) {
        if (FenceAnnotation.of(node.getMetadata().getAnnotations()).isEmpty()) {
            return; // nothing of the operator's on it, as far as the cache knows
        }
        api.edit(node.getMetadata().getName(), KubernetesNodeActions::unfenced);
    }

    /** The Node without what the operator's record says it added, and without the record. */
    static Node unfenced(Node current) {
        Optional<FenceAnnotation> fence =
                FenceAnnotation.of(current.getMetadata().getAnnotations());
        if (fence.isEmpty()) {
            return current;
        }
        Node n = new NodeBuilder(current).build();
        List<Taint> kept = new ArrayList<>();
        for (Taint taint : Optional.ofNullable(n.getSpec().getTaints()).orElse(List.of())) {
            if (!fence.get().taints().contains(Taints.id(taint))) {
                kept.add(taint);
            }
        }
        n.getSpec().setTaints(kept);
        if (fence.get().cordoned()) {
            n.getSpec().setUnschedulable(false);
        }
        Map<String, String> annotations = new LinkedHashMap<>(n.getMetadata().getAnnotations());
        annotations.remove(FenceAnnotation.KEY);
        n.getMetadata().setAnnotations(annotations);
        return n;
    }

    @Override
    public void reportQuorum(Node current, String status, String reason, String message) {
        Optional<NodeCondition> existing =
                Optional.ofNullable(current.getStatus()).map(NodeStatus::getConditions).orElse(List.of()).stream()
                        .filter(c -> QUORUM_CONDITION.equals(c.getType()))
                        .findFirst();
        if (existing.isPresent()
                && status.equals(existing.get().getStatus())
                && reason.equals(existing.get().getReason())
                && message.equals(existing.get().getMessage())) {
            return;
        }
        String now = Conditions.timestamp(clock.instant());
        String since = existing.filter(c -> status.equals(c.getStatus()))
                .map(NodeCondition::getLastTransitionTime)
                .orElse(now);
        api.applyCondition(
                current.getMetadata().getName(),
                new NodeConditionBuilder()
                        .withType(QUORUM_CONDITION)
                        .withStatus(status)
                        .withReason(reason)
                        .withMessage(message)
                        .withLastHeartbeatTime(now)
                        .withLastTransitionTime(since)
                        .build());
    }

    /** A change to the Node together with its record, in one patch. */
    private interface NodeChange {
        FenceAnnotation apply(Node node, FenceAnnotation fence);
    }

    /**
     * The change and the record in one write, made only when they would change the cached Node; the
     * write itself applies them to the Node as the API server has it. Returns the Node after it.
     */
    private Node edit(Node cached, FenceRecord record, NodeChange change) {
        UnaryOperator<Node> edit = current -> {
            Node n = new NodeBuilder(current).build();
            if (n.getSpec() == null) {
                n.setSpec(new NodeSpec());
            }
            FenceAnnotation fence = FenceAnnotation.of(n.getMetadata().getAnnotations())
                    .map(a -> a.with(record))
                    .orElseGet(() -> FenceAnnotation.start(cluster, record));
            FenceAnnotation updated = change.apply(n, fence);
            Map<String, String> annotations = new LinkedHashMap<>(
                    Optional.ofNullable(n.getMetadata().getAnnotations()).orElse(Map.of()));
            annotations.put(FenceAnnotation.KEY, updated.json());
            n.getMetadata().setAnnotations(annotations);
            return n;
        };
        if (edit.apply(cached).equals(cached)) {
            return cached; // the step is already done: every reconcile would otherwise write the Node again
        }
        return api.edit(cached.getMetadata().getName(), edit);
    }

    /** Adds the taint unless the Node has it; records it as the operator's only when the operator added it. */
    private static FenceAnnotation addTaint(Node n, Taint taint, FenceAnnotation fence) {
        List<Taint> taints =
                new ArrayList<>(Optional.ofNullable(n.getSpec().getTaints()).orElse(List.of()));
        if (taints.stream().anyMatch(t -> Taints.same(t, taint))) {
            return fence;
        }
        taints.add(taint);
        n.getSpec().setTaints(taints);
        return fence.taints().contains(Taints.id(taint)) ? fence : fence.withTaint(Taints.id(taint));
    }

    /** Removes the taint only if the operator's record says the operator added it. */
    private static FenceAnnotation removeTaint(Node n, Taint taint, FenceAnnotation fence) {
        if (!fence.taints().contains(Taints.id(taint))) {
            return fence;
        }
        List<Taint> taints =
                new ArrayList<>(Optional.ofNullable(n.getSpec().getTaints()).orElse(List.of()));
        taints.removeIf(t -> Taints.same(t, taint));
        n.getSpec().setTaints(taints);
        return fence.withoutTaint(Taints.id(taint));
    }

    /** DaemonSet and mirror pods are left alone unless the policy says otherwise, and so are selected pods. */
    static boolean exempt(Pod pod, ExemptPods exempt) {
        Map<String, String> annotations =
                Optional.ofNullable(pod.getMetadata().getAnnotations()).orElse(Map.of());
        if (!Boolean.FALSE.equals(exempt.getMirrorPods()) && annotations.containsKey(MIRROR_ANNOTATION)) {
            return true;
        }
        List<OwnerReference> owners =
                Optional.ofNullable(pod.getMetadata().getOwnerReferences()).orElse(List.of());
        if (!Boolean.FALSE.equals(exempt.getDaemonSetPods())
                && owners.stream().anyMatch(o -> "DaemonSet".equals(o.getKind()))) {
            return true;
        }
        return exempt.getSelector() != null
                && Selectors.matches(exempt.getSelector(), pod.getMetadata().getLabels());
    }
}
