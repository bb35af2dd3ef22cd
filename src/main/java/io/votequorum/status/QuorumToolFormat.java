package io.votequorum.status;

import io.votequorum.corosync.QuorumInfo;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.VotequorumFlag;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.stream.Collectors;

/** The text a person on the node reads: the layout of {@code corosync-quorumtool -s}, and one line per change. */
final class QuorumToolFormat {

    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE MMM d HH:mm:ss yyyy", Locale.ROOT).withZone(ZoneId.systemDefault());

    private QuorumToolFormat() {}

    static String summary(QuorumSnapshot snapshot, Instant now) {
        QuorumInfo local = snapshot.local();
        StringBuilder out = new StringBuilder();
        out.append("Quorum information\n------------------\n");
        field(out, "Date", DATE.format(now));
        field(out, "Quorum provider", snapshot.config().quorum().provider());
        field(out, "Cluster name", snapshot.config().clusterName());
        field(out, "Nodes", String.valueOf(snapshot.members().size()));
        field(out, "Node ID", String.valueOf(snapshot.config().localNodeId()));
        field(out, "Ring ID", snapshot.ring().map(Object::toString).orElse("-"));
        field(out, "Quorate", snapshot.quorate() ? "Yes" : "No");
        out.append("\nVotequorum information\n----------------------\n");
        field(out, "Expected votes", String.valueOf(local.expectedVotes()));
        field(out, "Highest expected", String.valueOf(local.highestExpected()));
        field(out, "Total votes", String.valueOf(local.totalVotes()));
        field(out, "Quorum", local.quorum() + (snapshot.quorate() ? "" : " Activity blocked"));
        field(out, "Flags", flags(local));
        out.append("\nMembership information\n----------------------\n");
        out.append(String.format("%10s %10s %s%n", "Nodeid", "Votes", "Name"));
        for (QuorumSnapshot.Node node : snapshot.members()) {
            out.append(String.format(
                    "%10d %10d %s%s%n",
                    node.nodeId(),
                    node.votes(),
                    node.name().orElse("-"),
                    node.nodeId() == snapshot.config().localNodeId() ? " (local)" : ""));
        }
        if (local.has(VotequorumFlag.QDEVICE_REGISTERED)) {
            out.append(String.format(
                    "%10d %10d %s%n",
                    0,
                    local.qdeviceVotes(),
                    "Qdevice" + local.qdeviceName().map(n -> " (" + n + ")").orElse("")));
        }
        return out.toString();
    }

    /** One line for {@code status --watch}: when, what changed, and the state after it. */
    static String line(Instant when, String change, QuorumSnapshot snapshot) {
        QuorumInfo local = snapshot.local();
        return String.format(
                "%s %-10s quorate=%s ring=%s members=%s expected=%d total=%d quorum=%d flags=%s",
                when,
                change,
                snapshot.quorate() ? "yes" : "no",
                snapshot.ring().map(Object::toString).orElse("-"),
                snapshot.members().stream().map(n -> String.valueOf(n.nodeId())).collect(Collectors.joining(",")),
                local.expectedVotes(),
                local.totalVotes(),
                local.quorum(),
                flags(local).isBlank() ? "-" : flags(local).trim().replace(' ', ','));
    }

    /** corosync-quorumtool's spelling of the flags, in its order. */
    static String flags(QuorumInfo info) {
        StringBuilder out = new StringBuilder();
        for (VotequorumFlag flag : VotequorumFlag.values()) {
            if (info.has(flag)) {
                out.append(
                                switch (flag) {
                                    case TWO_NODE -> "2Node";
                                    case QUORATE -> "Quorate";
                                    case WAIT_FOR_ALL -> "WaitForAll";
                                    case LAST_MAN_STANDING -> "LastManStanding";
                                    case AUTO_TIE_BREAKER -> "AutoTieBreaker";
                                    case ALLOW_DOWNSCALE -> "AllowDownscale";
                                    case QDEVICE_REGISTERED -> "Qdevice";
                                    case QDEVICE_ALIVE -> "QdeviceAlive";
                                    case QDEVICE_CAST_VOTE -> "QdeviceCastVote";
                                    case QDEVICE_MASTER_WINS -> "QdeviceMasterWins";
                                })
                        .append(' ');
            }
        }
        return out.toString();
    }

    private static void field(StringBuilder out, String name, String value) {
        out.append(String.format("%-18s%s%n", name + ":", value));
    }
}
