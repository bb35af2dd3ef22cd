package io.votequorum.corosync;

import java.time.Instant;
import java.util.List;

/** What votequorum's callbacks report, queued by the dispatch thread in the order they arrived. */
public sealed interface QuorumEvent {

    /** When the binding received the callback. */
    Instant received();

    /** votequorum_quorum_notification_fn_t: quorate or not, and every known node with its state. */
    record QuorumChanged(Instant received, boolean quorate, List<NodeStatus> nodes) implements QuorumEvent {
        public QuorumChanged {
            nodes = List.copyOf(nodes);
        }
    }

    /** votequorum_nodelist_notification_fn_t: a new membership, its ring id and its member ids. */
    record MembershipChanged(Instant received, RingId ring, List<Long> members) implements QuorumEvent {
        public MembershipChanged {
            members = List.copyOf(members);
        }
    }

    /** votequorum_expectedvotes_notification_fn_t. */
    record ExpectedVotesChanged(Instant received, int expectedVotes) implements QuorumEvent {}

    /** The connection to corosync broke (corosync stopped or restarted); the handle is of no further use. */
    record Disconnected(Instant received, CorosyncException cause) implements QuorumEvent {}
}
