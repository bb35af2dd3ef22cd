package io.votequorum.fencing;

import io.votequorum.model.VoteQuorumApi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which corosync node of one cluster each Kubernetes Node is. The Node label {@value
 * VoteQuorumApi#NODE_ID_LABEL} decides; without it, the node id the Node's own QuorumStatus reports;
 * without that, the corosync node of the same name. A label that contradicts the node's own report
 * maps the Node to nothing, so a wrong label can never get the wrong node fenced. A Node without a
 * report of its own in this cluster belongs to it only with the label {@value
 * VoteQuorumApi#CLUSTER_LABEL} naming it: node ids and names repeat across corosync clusters, and a
 * Node every cluster could claim must not be fenced, nor proven off, by another cluster's view.
 */
public final class NodeMapping {

    /** A Node's name and labels. */
    public record KubeNode(String name, Map<String, String> labels) {}

    /** The mapping, and the Nodes that could not be mapped with the reason. */
    public record Result(Map<String, Long> corosyncIds, Map<String, String> unmapped) {
        public Optional<Long> idOf(String node) {
            return Optional.ofNullable(corosyncIds.get(node));
        }
    }

    private NodeMapping() {}

    /**
     * @param cluster        the corosync cluster (totem.cluster_name)
     * @param reportedIds    node id each QuorumStatus of this cluster (named after its Node) reports
     * @param corosyncNames  corosync node names by node id, from the members the agents report
     */
    public static Result map(
            String cluster, List<KubeNode> nodes, Map<String, Long> reportedIds, Map<Long, String> corosyncNames) {
        Map<String, Long> ids = new TreeMap<>();
        Map<String, String> unmapped = new TreeMap<>();
        for (KubeNode node : nodes) {
            Map<String, String> labels = node.labels() == null ? Map.of() : node.labels();
            String label = labels.get(VoteQuorumApi.NODE_ID_LABEL);
            Long reported = reportedIds.get(node.name());
            if (reported == null && !cluster.equals(labels.get(VoteQuorumApi.CLUSTER_LABEL))) {
                unmapped.put(
                        node.name(),
                        "no QuorumStatus of its own in corosync cluster " + cluster + " and no "
                                + VoteQuorumApi.CLUSTER_LABEL + "=" + cluster + " label: node ids and names "
                                + "repeat across clusters, so it is not taken for one of this cluster's nodes");
            } else if (label != null) {
                Long labelled = parse(label);
                if (labelled == null) {
                    unmapped.put(node.name(), VoteQuorumApi.NODE_ID_LABEL + "=" + label + " is not a corosync node id");
                } else if (reported != null && !reported.equals(labelled)) {
                    unmapped.put(
                            node.name(),
                            VoteQuorumApi.NODE_ID_LABEL + "=" + label + " but its agent reports " + "corosync node "
                                    + reported);
                } else {
                    ids.put(node.name(), labelled);
                }
            } else if (reported != null) {
                ids.put(node.name(), reported);
            } else {
                corosyncNames.entrySet().stream()
                        .filter(e -> e.getValue().equals(node.name()))
                        .findFirst()
                        .ifPresent(e -> ids.put(node.name(), e.getKey()));
            }
        }
        // Two Nodes claiming one corosync node: neither is trusted.
        Map<Long, List<String>> byId = new TreeMap<>();
        ids.forEach(
                (name, id) -> byId.computeIfAbsent(id, k -> new ArrayList<>()).add(name));
        byId.forEach((id, names) -> {
            if (names.size() > 1) {
                names.forEach(name -> {
                    ids.remove(name);
                    unmapped.put(name, "Nodes " + names + " all map to corosync node " + id);
                });
            }
        });
        return new Result(ids, unmapped);
    }

    private static Long parse(String value) {
        try {
            long id = Long.parseLong(value.trim());
            return id > 0 ? id : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
