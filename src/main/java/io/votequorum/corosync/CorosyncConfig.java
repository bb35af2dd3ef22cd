package io.votequorum.corosync;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the binding reads from cmap: who this node is, the nodelist, the timeouts and the quorum options. */
public record CorosyncConfig(
        String clusterName,
        long localNodeId,
        List<NodeEntry> nodes,
        long tokenMillis,
        long consensusMillis,
        QuorumOptions quorum) {

    /**
     * nodelist.node.N: a configured node, its name, its ringX_addr addresses in ring order, and its
     * quorum_votes (1 when the nodelist does not say).
     */
    public record NodeEntry(long nodeId, Optional<String> name, List<String> addresses, int votes) {
        public NodeEntry {
            addresses = List.copyOf(addresses);
        }

        /** A node with corosync's default of one vote. */
        public NodeEntry(long nodeId, Optional<String> name, List<String> addresses) {
            this(nodeId, name, addresses, 1);
        }
    }

    /** The quorum section, and every quorum.device.* key as corosync holds it. */
    public record QuorumOptions(
            String provider,
            boolean twoNode,
            boolean waitForAll,
            boolean lastManStanding,
            boolean autoTieBreaker,
            Map<String, String> device) {
        public QuorumOptions {
            device = Map.copyOf(device);
        }
    }

    private static final Pattern NODE_KEY = Pattern.compile("nodelist\\.node\\.(\\d+)\\.(.+)");

    public CorosyncConfig {
        nodes = List.copyOf(nodes);
    }

    public static CorosyncConfig read(Cmap cmap) {
        Map<Integer, Map<String, String>> entries = new TreeMap<>();
        for (String key : cmap.keys("nodelist.node.")) {
            Matcher m = NODE_KEY.matcher(key);
            if (m.matches()) {
                cmap.string(key)
                        .ifPresent(value -> entries.computeIfAbsent(Integer.parseInt(m.group(1)), i -> new TreeMap<>())
                                .put(m.group(2), value));
            }
        }
        List<NodeEntry> nodes = new ArrayList<>();
        entries.values().forEach(fields -> {
            if (fields.containsKey("nodeid")) {
                List<String> addresses = fields.entrySet().stream()
                        .filter(e -> e.getKey().matches("ring\\d+_addr"))
                        .map(Map.Entry::getValue)
                        .toList();
                nodes.add(new NodeEntry(
                        Long.parseLong(fields.get("nodeid")),
                        Optional.ofNullable(fields.get("name")),
                        addresses,
                        votes(fields.get("quorum_votes"))));
            }
        });
        nodes.sort(Comparator.comparingLong(NodeEntry::nodeId));

        Map<String, String> device = new TreeMap<>();
        for (String key : cmap.keys("quorum.device.")) {
            cmap.string(key).ifPresent(value -> device.put(key.substring("quorum.".length()), value));
        }
        QuorumOptions quorum = new QuorumOptions(
                cmap.string("quorum.provider").orElse(""),
                cmap.flag("runtime.votequorum.two_node") || cmap.flag("quorum.two_node"),
                cmap.flag("quorum.wait_for_all"),
                cmap.flag("quorum.last_man_standing"),
                cmap.flag("quorum.auto_tie_breaker"),
                device);

        return new CorosyncConfig(
                cmap.string("totem.cluster_name").orElse(""),
                cmap.number("runtime.votequorum.this_node_id").orElseGet(() -> localIdFromPosition(cmap)),
                nodes,
                cmap.number("runtime.config.totem.token")
                        .orElse(cmap.number("totem.token").orElse(0)),
                cmap.number("runtime.config.totem.consensus")
                        .orElse(cmap.number("totem.consensus").orElse(0)),
                quorum);
    }

    /** quorum_votes as cmap holds it (a string or a number); corosync's default is one vote. */
    private static int votes(String value) {
        if (value == null || value.isBlank()) {
            return 1;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** The configured name of a node id, if the nodelist names it. */
    public Optional<String> nameOf(long nodeId) {
        return nodes.stream().filter(n -> n.nodeId() == nodeId).findFirst().flatMap(NodeEntry::name);
    }

    /** This node's configured name. */
    public Optional<String> localName() {
        return nameOf(localNodeId);
    }

    /** Older corosync has no runtime.votequorum.this_node_id; the nodelist position says the same. */
    private static long localIdFromPosition(Cmap cmap) {
        OptionalLong position = cmap.number("nodelist.local_node_pos");
        return position.isEmpty()
                ? 0
                : cmap.number("nodelist.node." + position.getAsLong() + ".nodeid")
                        .orElse(0);
    }
}
