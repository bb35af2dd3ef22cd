package io.votequorum.device;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether the Lease-backed quorum device can run on a corosync cluster, from what its agents report
 * of corosync.conf and where the API server runs. Pure.
 */
public final class DeviceCheck {

    public static final String TWO_NODE = "TwoNodeSet";
    public static final String NOT_DECLARED = "DeviceNotDeclared";
    public static final String TIMINGS = "TimingsTooShort";
    public static final String CIRCULAR = "ApiServerOnThisCluster";
    /** What corosync.conf needs on every node, as the messages say it. */
    public static final String DECLARATION =
            "quorum { device { model: kubernetes-lease votes: 1 timeout: 4000 sync_timeout: 4000 } }";

    private DeviceCheck() {}

    /** One agent's report: its node, whether two_node is on, and corosync's quorum.device section. */
    public record NodeDevice(
            String node, boolean twoNode, Optional<String> model, long timeoutMillis, long syncTimeoutMillis) {}

    /** Why the device cannot run: a reason for the condition and a message that says what to change. */
    public record Problem(String reason, String message) {}

    /**
     * @param apiServerNodes the cluster's nodes that carry an address the API server is served from
     */
    public static Optional<Problem> check(
            String leaseName,
            Duration leaseDuration,
            Duration renewInterval,
            Duration clockSkewMargin,
            List<NodeDevice> nodes,
            Set<String> apiServerNodes) {
        if (!apiServerNodes.isEmpty()) {
            return Optional.of(new Problem(
                    CIRCULAR,
                    "the API server runs on " + String.join(", ", new TreeSet<>(apiServerNodes))
                            + " of this corosync cluster: a Lease it serves cannot arbitrate a split of the"
                            + " cluster it runs on. Use corosync-qnetd on a third site, or an API server outside"
                            + " this cluster"));
        }
        Set<String> twoNode = new TreeSet<>();
        Set<String> undeclared = new TreeSet<>();
        long timeout = 0;
        long syncTimeout = 0;
        for (NodeDevice node : nodes) {
            if (node.twoNode()) {
                twoNode.add(node.node());
            }
            if (node.model().isEmpty()) {
                undeclared.add(node.node());
            }
            timeout = Math.max(timeout, node.timeoutMillis());
            syncTimeout = Math.max(syncTimeout, node.syncTimeoutMillis());
        }
        if (!twoNode.isEmpty()) {
            return Optional.of(new Problem(
                    TWO_NODE,
                    "two_node is on at " + String.join(", ", twoNode) + "; corosync does not run a quorum device"
                            + " with two_node: remove two_node from corosync.conf and declare the device there"));
        }
        if (!undeclared.isEmpty()) {
            return Optional.of(new Problem(
                    NOT_DECLARED,
                    "corosync.conf declares no quorum device at " + String.join(", ", undeclared) + ": add "
                            + DECLARATION + " on every node and reload corosync"));
        }
        return new LeaseVote.Settings(
                        leaseName,
                        leaseDuration,
                        renewInterval,
                        clockSkewMargin,
                        Duration.ofMillis(timeout),
                        Duration.ofMillis(syncTimeout))
                .problem()
                .map(message -> new Problem(TIMINGS, message));
    }

    /** The addresses each node carries, and the API server's: the nodes the API server runs on. */
    public static Set<String> apiServerNodes(Map<String, Set<String>> nodeAddresses, Set<String> apiServer) {
        Set<String> on = new TreeSet<>();
        nodeAddresses.forEach((node, addresses) -> {
            if (addresses.stream().anyMatch(apiServer::contains)) {
                on.add(node);
            }
        });
        return on;
    }
}
