package io.votequorum.testenv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** What {@code corosync-quorumtool -s} or {@code -l} printed, read into fields: the reference for our readings. */
public record QuorumToolOutput(Map<String, String> fields, List<Row> members) {

    /**
     * A row of the membership table.
     *
     * @param qdevice the quorum device's flags for this node (such as {@code A,V,NMW} or {@code NR}), empty
     *                without a device in the configuration
     */
    public record Row(long nodeId, int votes, String qdevice, String name, boolean local) {}

    private static final Pattern FIELD = Pattern.compile("^([A-Z][A-Za-z ]+):\\s+(.*?)\\s*$");
    private static final Pattern ROW =
            Pattern.compile("^\\s*(\\d+)\\s+(\\d+)\\s+(?:(\\S+)\\s+)?([^\\s(]\\S*)( \\(local\\))?\\s*$");

    public static QuorumToolOutput parse(String output) {
        Map<String, String> fields = new LinkedHashMap<>();
        List<Row> rows = new ArrayList<>();
        for (String line : output.lines().toList()) {
            Matcher row = ROW.matcher(line);
            if (row.matches()) {
                rows.add(new Row(
                        Long.parseLong(row.group(1)),
                        Integer.parseInt(row.group(2)),
                        row.group(3) == null ? "" : row.group(3),
                        row.group(4),
                        row.group(5) != null));
                continue;
            }
            Matcher field = FIELD.matcher(line);
            if (field.matches()) {
                fields.put(field.group(1), field.group(2));
            }
        }
        return new QuorumToolOutput(fields, rows);
    }

    public String field(String name) {
        String value = fields.get(name);
        if (value == null) {
            throw new AssertionError("corosync-quorumtool printed no '" + name + "': " + fields);
        }
        return value;
    }

    public int number(String name) {
        return Integer.parseInt(field(name).split("\\s+")[0]);
    }

    /** The flags in the API's spelling (2Node is TwoNode, Qdevice is QdeviceRegistered). */
    public List<String> flags() {
        return Arrays.stream(fields.getOrDefault("Flags", "").trim().split("\\s+"))
                .filter(f -> !f.isEmpty())
                .map(f -> switch (f) {
                    case "2Node" -> "TwoNode";
                    case "Qdevice" -> "QdeviceRegistered";
                    default -> f;
                })
                .sorted()
                .collect(Collectors.toList());
    }
}
