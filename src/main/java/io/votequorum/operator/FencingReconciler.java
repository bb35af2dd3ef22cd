package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.votequorum.fencing.LeaseFreshness;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.model.VoteQuorumPolicyStatus;
import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * JOSDK's side of a VoteQuorumPolicy: the informers and their indexes (which event wakes which
 * policy), and the reconcile, which is one {@link PolicyEngine} pass over the informers' caches. A
 * deleted policy first lets go of the Nodes it fenced; a pass that fails says so in the status.
 */
// Every event, also of a policy being deleted: the finalizer is the reconciler's own (added by JSON
// patch; JOSDK's would be added by server-side apply of a new, default-filled policy, resetting its spec).
@ControllerConfiguration(name = "fencing", triggerReconcilerOnAllEvents = true)
public class FencingReconciler implements Reconciler<VoteQuorumPolicy> {

    private static final Logger LOG = Logger.getLogger(FencingReconciler.class);

    static final String BY_CLUSTER = "cluster";
    static final String BY_NODE_ID = "node-id";
    static final String BY_FENCING_CLUSTER = "fencing-cluster";

    @Inject
    OperatorConfig config;

    @Inject
    KubernetesClient client;

    @Inject
    MeterRegistry registry;

    private PolicyEngine engine;
    private InformerEventSource<QuorumStatus, VoteQuorumPolicy> statuses;
    private InformerEventSource<Lease, VoteQuorumPolicy> leases;
    private InformerEventSource<Node, VoteQuorumPolicy> nodes;
    private FencedNodePods evicting;
    private ClusterCache cache;

    /** The engine, made once: policies reconcile in parallel. */
    @PostConstruct
    void start() {
        engine = new PolicyEngine(new KubernetesOutside(client), registry, Clock.systemUTC());
    }

    @Override
    public List<EventSource<?, VoteQuorumPolicy>> prepareEventSources(EventSourceContext<VoteQuorumPolicy> context) {
        context.getPrimaryCache()
                .addIndexer(BY_CLUSTER, p -> List.of(p.getSpec().getClusterName()));
        // Each report, Lease and Node goes to the policy of its own cluster; only what can change a decision wakes it.
        statuses = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(QuorumStatus.class, VoteQuorumPolicy.class)
                        .withSecondaryToPrimaryMapper(q -> policiesOf(context, ClusterSnapshot.clusterOf(q)))
                        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getStatus(), before.getStatus())
                                || !Objects.equals(now.getSpec(), before.getSpec()))
                        .build(),
                context);
        statuses.addIndexer(
                BY_CLUSTER, q -> ClusterSnapshot.clusterOf(q).map(List::of).orElse(List.of()));
        leases = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Lease.class, VoteQuorumPolicy.class)
                        .withNamespaces(config.namespace())
                        .withSecondaryToPrimaryMapper(
                                l -> statuses.get(new ResourceID(l.getMetadata().getName()))
                                        .map(q -> policiesOf(context, ClusterSnapshot.clusterOf(q)))
                                        .orElseGet(Set::of))
                        .withOnUpdateFilter(FencingReconciler::heartbeatMatters)
                        .build(),
                context);
        nodes = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Node.class, VoteQuorumPolicy.class)
                        .withSecondaryToPrimaryMapper(n -> policiesOfNode(context, n))
                        .withOnUpdateFilter((now, before) -> !Objects.equals(now.getSpec(), before.getSpec())
                                || !Objects.equals(
                                        now.getMetadata().getLabels(),
                                        before.getMetadata().getLabels())
                                || !Objects.equals(
                                        now.getMetadata().getAnnotations(),
                                        before.getMetadata().getAnnotations()))
                        .build(),
                context);
        nodes.addIndexer(
                BY_NODE_ID,
                n -> Optional.ofNullable(n.getMetadata().getLabels())
                        .map(l -> l.get(VoteQuorumApi.NODE_ID_LABEL))
                        .map(List::of)
                        .orElse(List.of()));
        nodes.addIndexer(
                BY_FENCING_CLUSTER, n -> FenceRecords.fencedBy(n).map(List::of).orElse(List.of()));
        evicting = new FencedNodePods(context.getClient(), context.getPrimaryCache());
        cache = new InformerCache(context);
        return List.of(statuses, leases, nodes, evicting);
    }

    private static Set<ResourceID> policiesOf(EventSourceContext<VoteQuorumPolicy> context, Optional<String> cluster) {
        return cluster.map(c -> context.getPrimaryCache().byIndex(BY_CLUSTER, c).stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .orElseGet(Set::of);
    }

    /** The policy of the Node's own report and of the cluster that fenced it; any policy when it has no report. */
    private Set<ResourceID> policiesOfNode(EventSourceContext<VoteQuorumPolicy> context, Node node) {
        Optional<QuorumStatus> own =
                statuses.get(new ResourceID(node.getMetadata().getName()));
        if (own.isEmpty()) {
            return context.getPrimaryCache()
                    .list()
                    .map(ResourceID::fromResource)
                    .collect(Collectors.toSet());
        }
        Set<ResourceID> policies = new HashSet<>(policiesOf(context, ClusterSnapshot.clusterOf(own.get())));
        policies.addAll(policiesOf(context, FenceRecords.fencedBy(node)));
        return policies;
    }

    /** A renewal of a fresh Lease changes no decision; a Lease that comes back to life, or changes holder, does. */
    static boolean heartbeatMatters(Lease now, Lease before) {
        if (before.getSpec() == null || now.getSpec() == null) {
            return true;
        }
        boolean wasFresh = LeaseFreshness.fresh(
                Optional.ofNullable(before.getSpec().getRenewTime()).map(t -> t.toInstant()),
                Optional.ofNullable(before.getSpec().getLeaseDurationSeconds()),
                Instant.now());
        return !wasFresh
                || !Objects.equals(
                        now.getSpec().getHolderIdentity(), before.getSpec().getHolderIdentity())
                || !Objects.equals(
                        now.getSpec().getLeaseDurationSeconds(),
                        before.getSpec().getLeaseDurationSeconds());
    }

    @Override
    public UpdateControl<VoteQuorumPolicy> reconcile(VoteQuorumPolicy policy, Context<VoteQuorumPolicy> context) {
        if (context.isPrimaryResourceDeleted()) {
            engine.forget(policy);
            return UpdateControl.noUpdate();
        }
        if (policy.isMarkedForDeletion()) {
            release(policy, context);
            return UpdateControl.noUpdate();
        }
        if (!policy.hasFinalizer(VoteQuorumApi.POLICY_FINALIZER)) {
            PrimaryUpdateAndCacheUtils.addFinalizer(context, VoteQuorumApi.POLICY_FINALIZER);
        }
        PolicyEngine.Result result = engine.pass(policy, cache);
        // While a node's pods are being evicted, their deletions wake this policy at once.
        evicting.track(ResourceID.fromResource(policy), result.evicting());
        return result.status()
                .map(status -> UpdateControl.patchStatus(withStatus(policy, status)))
                .orElseGet(UpdateControl::noUpdate)
                .rescheduleAfter(result.nextLook());
    }

    /** A deleted policy lets go of what it fenced and handed to its agents, unless another policy governs the cluster. */
    private void release(VoteQuorumPolicy policy, Context<VoteQuorumPolicy> context) {
        evicting.track(ResourceID.fromResource(policy), Set.of());
        if (policy.hasFinalizer(VoteQuorumApi.POLICY_FINALIZER)) {
            engine.release(policy, cache);
            PrimaryUpdateAndCacheUtils.removeFinalizer(context, VoteQuorumApi.POLICY_FINALIZER);
        }
    }

    /** A pass that failed: the Reconciled condition says why, and JOSDK tries again. */
    @Override
    public ErrorStatusUpdateControl<VoteQuorumPolicy> updateErrorStatus(
            VoteQuorumPolicy policy, Context<VoteQuorumPolicy> context, Exception e) {
        LOG.errorf(e, "policy %s: the pass failed", policy.getMetadata().getName());
        return ErrorStatusUpdateControl.patchStatus(withStatus(policy, PolicyEngine.failed(policy, e, Instant.now())));
    }

    private static VoteQuorumPolicy withStatus(VoteQuorumPolicy policy, VoteQuorumPolicyStatus status) {
        VoteQuorumPolicy update = new VoteQuorumPolicy();
        update.setMetadata(
                new ObjectMetaBuilder().withName(policy.getMetadata().getName()).build());
        update.setSpec(null);
        update.setStatus(status);
        return update;
    }

    /** The informers' caches, read through their indexes. */
    private final class InformerCache implements ClusterCache {
        private final EventSourceContext<VoteQuorumPolicy> context;

        InformerCache(EventSourceContext<VoteQuorumPolicy> context) {
            this.context = context;
        }

        @Override
        public List<VoteQuorumPolicy> policiesOf(String cluster) {
            return context.getPrimaryCache().byIndex(BY_CLUSTER, cluster);
        }

        @Override
        public List<QuorumStatus> reportsOf(String cluster) {
            return statuses.byIndex(BY_CLUSTER, cluster);
        }

        @Override
        public Optional<QuorumStatus> report(String node) {
            return statuses.get(new ResourceID(node));
        }

        @Override
        public Optional<Lease> heartbeat(String node) {
            return leases.get(new ResourceID(node, config.namespace()));
        }

        @Override
        public Optional<Node> node(String name) {
            return nodes.get(new ResourceID(name));
        }

        @Override
        public List<Node> nodesLabelled(long corosyncId) {
            return nodes.byIndex(BY_NODE_ID, String.valueOf(corosyncId));
        }

        @Override
        public List<Node> nodesFencedBy(String cluster) {
            return nodes.byIndex(BY_FENCING_CLUSTER, cluster);
        }
    }
}
