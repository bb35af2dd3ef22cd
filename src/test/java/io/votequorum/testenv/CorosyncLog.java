package io.votequorum.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a node's corosync logged (logfile with millisecond timestamps, the host's clock and zone):
 * the memberships it formed, and whether it was in the primary (quorate) component with each.
 */
public final class CorosyncLog {

    /** A membership node {@code loggedBy} formed at {@code at}, with {@code members}; quorate if it was primary. */
    public record Membership(Instant at, int loggedBy, boolean quorate, Set<Integer> members) {}

    private static final Pattern LINE = Pattern.compile("^(\\w{3} +\\d+ \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) (.*)$");
    private static final Pattern MEMBERS = Pattern.compile("\\[QUORUM\\] Members\\[\\d+\\]:((?: \\d+)*)\\s*$");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy MMM d HH:mm:ss.SSS", Locale.ROOT);

    private CorosyncLog() {}

    /** The time of a corosync log line's stamp ("Nov 26 22:08:37.909"), in the year of {@code near}. */
    public static Instant time(String stamp, Instant near) {
        int year = LocalDateTime.ofInstant(near, ZoneId.systemDefault()).getYear();
        return LocalDateTime.parse(year + " " + stamp.replaceAll(" +", " "), TIME)
                .atZone(ZoneId.systemDefault())
                .toInstant();
    }

    /** Every membership in {@code log} (written by node {@code node}) formed at or after {@code from}, oldest first. */
    public static List<Membership> memberships(Path log, int node, Instant from) {
        List<Membership> found = new ArrayList<>();
        boolean primary = false;
        try {
            for (String text : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                Matcher line = LINE.matcher(text);
                if (!line.matches()) {
                    continue;
                }
                String message = line.group(2);
                if (message.contains("Corosync Cluster Engine") && message.contains("starting up")) {
                    primary = false;
                } else if (message.contains("This node is within the primary component")) {
                    primary = true;
                } else if (message.contains("This node is within the non-primary component")) {
                    primary = false;
                } else {
                    Matcher members = MEMBERS.matcher(message);
                    Instant at;
                    if (members.find() && !(at = time(line.group(1), from)).isBefore(from)) {
                        found.add(new Membership(
                                at,
                                node,
                                primary,
                                Arrays.stream(members.group(1).trim().split(" "))
                                        .map(Integer::valueOf)
                                        .collect(Collectors.toCollection(TreeSet::new))));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
        return found;
    }

    /**
     * Whether node {@code node} was outside a quorate membership at some moment in [{@code at} minus
     * {@code within}, {@code at}]: some other node's corosync was then in a primary component without
     * it. {@code memberships} are those of every node, each node's oldest first.
     */
    public static boolean excluded(List<Membership> memberships, int node, Instant at, Duration within) {
        Instant since = at.minus(within);
        for (int i = 0; i < memberships.size(); i++) {
            Membership m = memberships.get(i);
            if (m.loggedBy() == node || !m.quorate() || m.members().contains(node) || m.at().isAfter(at)) {
                continue;
            }
            Instant until = at;
            for (int j = i + 1; j < memberships.size(); j++) {
                if (memberships.get(j).loggedBy() == m.loggedBy()) {
                    until = memberships.get(j).at();
                    break;
                }
            }
            if (!until.isBefore(since)) {
                return true;
            }
        }
        return false;
    }
}
