package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.votequorum.model.Conditions;
import io.votequorum.model.FencingSpec;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.QuorumDeviceSpec;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusSpec;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.policy.QuorumRisk;
import io.votequorum.policy.VoteLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A policy's votes: checked against its cluster (what CEL cannot check), then handed to each
 * node's agent through its QuorumStatus spec, only while the cluster is quorate.
 */
final class PolicyVotes {

    static final String FIELD_MANAGER = "votequorum-operator";

    /** The checks' verdict: the layout to apply, or why the policy is not valid. */
    record Validation(Optional<VoteLayout> layout, Set<String> named, Condition valid, Optional<Condition> unsafe) {}

    private PolicyVotes() {}

    static Validation validate(
            VoteQuorumPolicy policy, List<VoteQuorumPolicy> all, List<QuorumStatus> reports, Map<String, Node> nodes) {
        Long generation = policy.getMetadata().getGeneration();
        String cluster = policy.getSpec().getClusterName();
        Optional<VoteQuorumPolicy> first = all.stream()
                .filter(p -> cluster.equals(p.getSpec().getClusterName()))
                .min(Comparator.comparing(
                                (VoteQuorumPolicy p) -> p.getMetadata().getCreationTimestamp(),
                                Comparator.nullsLast(Comparator.naturalOrder()))
                        .thenComparing(p -> p.getMetadata().getName()));
        if (first.isPresent()
                && !first.get()
                        .getMetadata()
                        .getName()
                        .equals(policy.getMetadata().getName())) {
            return invalid(
                    "DuplicatePolicy",
                    "policy " + first.get().getMetadata().getName() + " already governs " + "corosync cluster "
                            + cluster + "; one policy per cluster: delete this one or that one",
                    generation);
        }
        if (reports.isEmpty()) {
            return invalid(
                    "UnknownCluster",
                    "no agent reports corosync cluster '" + cluster + "' (totem.cluster_name); "
                            + "check clusterName and that the agents run",
                    generation);
        }
        List<VoteLayout.ClusterNode> clusterNodes = reports.stream()
                .map(q -> new VoteLayout.ClusterNode(
                        q.getMetadata().getName(),
                        Optional.ofNullable(nodes.get(q.getMetadata().getName()))
                                .map(n -> n.getMetadata().getLabels())
                                .orElse(Map.of()),
                        Optional.ofNullable(q.getStatus().getNodeVotes()).orElse(1)))
                .toList();
        VoteLayout.Resolution resolution = VoteLayout.resolve(
                policy.getSpec().getVotes(),
                Optional.ofNullable(policy.getSpec().getExpectedVotes()),
                clusterNodes);
        boolean allowUnsafe = Boolean.TRUE.equals(policy.getSpec().getAllowUnsafe());
        List<VoteLayout.Problem> problems = new ArrayList<>(resolution.problems());
        problems.addAll(resolution.layout().check(allowUnsafe));
        if (!problems.isEmpty()) {
            return invalid(
                    problems.get(0).reason(),
                    problems.stream().map(VoteLayout.Problem::message).collect(Collectors.joining("; ")),
                    generation);
        }
        Optional<Condition> unsafe = allowUnsafe
                ? resolution.layout().check(false).stream()
                        .findFirst()
                        .map(p -> PolicyConditions.unsafe(p.reason(), p.message(), generation))
                : Optional.empty();
        return new Validation(
                Optional.of(resolution.layout()),
                resolution.named(),
                PolicyConditions.valid(
                        "the votes resolve to " + clusterNodes.size() + " nodes and the layout is "
                                + (unsafe.isPresent() ? "unsafe, allowed" : "safe"),
                        generation),
                unsafe);
    }

    private static Validation invalid(String reason, String message, Long generation) {
        return new Validation(
                Optional.empty(), Set.of(), PolicyConditions.invalid(reason, message, generation), Optional.empty());
    }

    /** The Applied condition, and the nodes whose spec this call wrote. */
    record Applying(Condition applied, List<String> written) {}

    /**
     * Writes each node's desired votes and expected votes into its QuorumStatus spec (only what
     * differs), and says whether every agent has applied them.
     */
    static Applying apply(
            Outside outside,
            VoteQuorumPolicy policy,
            VoteLayout layout,
            Set<String> named,
            List<QuorumStatus> reports,
            Optional<QuorumDeviceSpec> device) {
        Long generation = policy.getMetadata().getGeneration();
        QuorumDeviceSpec quorumDevice = device.orElse(null);
        Integer expected = policy.getSpec().getExpectedVotes();
        FencingSpec fencing = policy.getSpec().getFencing();
        String selfFenceAfter =
                fencing.getNoQuorumAction() == NoQuorumAction.SelfFence ? fencing.getSelfFenceAfter() : null;
        List<String> waiting = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        List<String> written = new ArrayList<>();
        for (QuorumStatus qs : reports) {
            String name = qs.getMetadata().getName();
            Integer votes = named.contains(name) ? layout.votes().get(name) : null;
            QuorumStatusSpec current = qs.getSpec() == null ? new QuorumStatusSpec() : qs.getSpec();
            if (!Objects.equals(current.getVotes(), votes)
                    || !Objects.equals(current.getExpectedVotes(), expected)
                    || !Objects.equals(current.getSelfFenceAfter(), selfFenceAfter)
                    || !Objects.equals(current.getQuorumDevice(), quorumDevice)
                    || !Objects.equals(current.getPolicy(), policy.getMetadata().getName())) {
                QuorumStatus desired = new QuorumStatus();
                desired.setMetadata(new ObjectMetaBuilder().withName(name).build());
                desired.setStatus(null);
                desired.getSpec().setVotes(votes);
                desired.getSpec().setExpectedVotes(expected);
                desired.getSpec().setSelfFenceAfter(selfFenceAfter);
                desired.getSpec().setQuorumDevice(quorumDevice);
                desired.getSpec().setPolicy(policy.getMetadata().getName());
                desired.getSpec().setPolicyGeneration(generation);
                outside.applySpec(desired);
                written.add(name);
                waiting.add(name);
                continue;
            }
            Optional<Condition> applied = Conditions.find(qs.getStatus().getConditions(), "Applied");
            boolean seen = Objects.equals(
                    qs.getStatus().getObservedGeneration(), qs.getMetadata().getGeneration());
            if (applied.isPresent() && seen && "False".equals(applied.get().getStatus())) {
                refused.add(name + ": " + applied.get().getMessage());
            } else if (applied.isEmpty()
                    || !seen
                    || !"True".equals(applied.get().getStatus())) {
                waiting.add(name);
            }
        }
        if (!refused.isEmpty()) {
            return new Applying(
                    PolicyConditions.notApplied("Refused", String.join("; ", refused), generation), written);
        }
        QuorumRisk tolerates = QuorumRisk.of(layout);
        if (!waiting.isEmpty()) {
            return new Applying(
                    PolicyConditions.notApplied(
                            "Waiting",
                            "waiting for the agents of " + String.join(", ", waiting) + " to apply generation "
                                    + generation + "; the new layout: " + tolerates.describe(),
                            generation),
                    written);
        }
        return new Applying(PolicyConditions.applied(tolerates, generation), written);
    }
}
