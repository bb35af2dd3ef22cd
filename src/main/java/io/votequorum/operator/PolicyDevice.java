package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.votequorum.device.DeviceCheck;
import io.votequorum.model.Conditions;
import io.votequorum.model.DeviceLease;
import io.votequorum.model.KubeDuration;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.QuorumDeviceSpec;
import io.votequorum.model.QuorumDeviceStatus;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.VoteQuorumPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A policy's Lease-backed quorum device: whether it can run on the cluster (checked against what the
 * agents report of corosync.conf, and against where the API server runs), the spec handed to the
 * agents, and what the policy's status shows of it.
 */
final class PolicyDevice {

    static final String CONDITION = "QuorumDevice";
    /** How long the API server's own addresses are trusted before they are read again. */
    private static final Duration ADDRESSES_TTL = Duration.ofSeconds(30);

    private final Outside outside;
    private volatile Set<String> apiServerAddresses = Set.of();
    private volatile Instant addressesRead = Instant.MIN;
    private volatile Optional<String> addressesError = Optional.empty();

    PolicyDevice(Outside outside) {
        this.outside = outside;
    }

    /** What to hand to the agents (empty: no device), and the condition; no condition while it is off. */
    record Verdict(Optional<QuorumDeviceSpec> handDown, Optional<Condition> condition) {}

    Verdict evaluate(VoteQuorumPolicy policy, List<QuorumStatus> reports, Map<String, Node> nodes, Instant now) {
        QuorumDeviceSpec spec = policy.getSpec().getQuorumDevice();
        Long generation = policy.getMetadata().getGeneration();
        if (spec == null || !Boolean.TRUE.equals(spec.getEnabled())) {
            return new Verdict(Optional.empty(), Optional.empty());
        }
        String lease = spec.leaseNameFor(policy.getSpec().getClusterName());
        refreshAddresses(now);
        Map<String, Set<String>> addresses = new HashMap<>();
        reports.forEach(q -> Optional.ofNullable(nodes.get(q.getMetadata().getName()))
                .ifPresent(n -> addresses.put(n.getMetadata().getName(), addresses(n))));
        List<DeviceCheck.NodeDevice> devices = reports.stream()
                .map(q -> {
                    DeviceLease d = q.getStatus().getDeviceLease();
                    return new DeviceCheck.NodeDevice(
                            q.getMetadata().getName(),
                            q.getStatus().getFlags() != null
                                    && q.getStatus().getFlags().contains(QuorumFlag.TwoNode),
                            d == null ? Optional.empty() : Optional.ofNullable(d.model()),
                            d == null || d.timeoutMillis() == null ? 0 : d.timeoutMillis(),
                            d == null || d.syncTimeoutMillis() == null ? 0 : d.syncTimeoutMillis());
                })
                .toList();
        Optional<DeviceCheck.Problem> problem;
        try {
            problem = DeviceCheck.check(
                    lease,
                    KubeDuration.parse(spec.getLeaseDuration()),
                    KubeDuration.parse(spec.getRenewInterval()),
                    KubeDuration.parse(spec.getClockSkewMargin()),
                    devices,
                    DeviceCheck.apiServerNodes(addresses, apiServerAddresses));
        } catch (IllegalArgumentException e) {
            problem = Optional.of(new DeviceCheck.Problem("InvalidTimings", e.getMessage()));
        }
        if (problem.isPresent()) {
            return refused(problem.get().reason(), problem.get().message(), generation);
        }
        QuorumDeviceSpec handed = new QuorumDeviceSpec();
        handed.setEnabled(true);
        handed.setLeaseName(lease);
        handed.setLeaseDuration(spec.getLeaseDuration());
        handed.setRenewInterval(spec.getRenewInterval());
        handed.setClockSkewMargin(spec.getClockSkewMargin());
        QuorumDeviceStatus status = status(lease, reports);
        // Where it cannot be told, the device runs: a circular setup loses availability, never safety.
        String message = (status.holder() == null
                        ? "Lease " + lease + " has no holder yet"
                        : "Lease " + lease + " is held by " + status.holder() + "; the vote is cast by "
                                + (status.casting().isEmpty() ? "no node" : String.join(", ", status.casting())))
                + addressesError
                        .map(e -> "; where the API server runs cannot be told (default/kubernetes: " + e
                                + "): make sure it does not run on this corosync cluster")
                        .orElse("")
                + (policy.getSpec().getFencing().getNoQuorumAction() == NoQuorumAction.SelfFence
                        ? ""
                        : "; without noQuorumAction: SelfFence, a node whose agent is killed keeps a vote it cast "
                                + "until corosync lets it lapse, longer while its ring keeps changing, and may stay "
                                + "quorate beside the Lease's holder: set noQuorumAction: SelfFence, so its watchdog "
                                + "resets it first");
        return new Verdict(
                Optional.of(handed),
                Optional.of(Conditions.of(
                        CONDITION,
                        Conditions.Status.of(!status.casting().isEmpty()),
                        status.casting().isEmpty() ? "NotCasting" : "Casting",
                        message,
                        generation)));
    }

    /** The device as the agents report it: the Lease, its holder and the nodes casting the vote. */
    static QuorumDeviceStatus status(String lease, Collection<QuorumStatus> reports) {
        List<DeviceLease> devices = reports.stream()
                .map(q -> q.getStatus().getDeviceLease())
                .filter(Objects::nonNull)
                .filter(d -> lease.equals(d.lease()))
                .toList();
        String holder = devices.stream()
                .map(DeviceLease::holder)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
        List<String> casting = reports.stream()
                .filter(q -> q.getStatus().getDeviceLease() != null
                        && Boolean.TRUE.equals(q.getStatus().getDeviceLease().casting()))
                .map(q -> q.getMetadata().getName())
                .sorted()
                .toList();
        return new QuorumDeviceStatus(lease, holder, casting);
    }

    private static Verdict refused(String reason, String message, Long generation) {
        return new Verdict(
                Optional.empty(),
                Optional.of(Conditions.of(CONDITION, Conditions.Status.False, reason, message, generation)));
    }

    private static Set<String> addresses(Node node) {
        if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
            return Set.of();
        }
        return node.getStatus().getAddresses().stream()
                .map(NodeAddress::getAddress)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The API server's own addresses, read again after a while. */
    private void refreshAddresses(Instant now) {
        if (now.isBefore(addressesRead.plus(ADDRESSES_TTL))) {
            return;
        }
        try {
            apiServerAddresses = outside.apiServerAddresses();
            addressesError = Optional.empty();
        } catch (KubernetesClientException e) {
            addressesError = Optional.of(e.getCode() + " " + e.getMessage());
        } catch (RuntimeException e) {
            addressesError = Optional.of(String.valueOf(e.getMessage()));
        }
        addressesRead = now;
    }
}
