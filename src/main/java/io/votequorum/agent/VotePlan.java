package io.votequorum.agent;

import io.votequorum.agent.AgentStatus.ApplyOutcome;
import io.votequorum.corosync.QuorumInfo;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.model.AppliedVotes;
import io.votequorum.model.Conditions;
import java.util.Optional;

/**
 * What to do about the votes and expected votes the spec asks for. Pure: corosync is called only by
 * whoever carries out an {@link Apply}.
 */
public sealed interface VotePlan {

    /** The spec's request: votes for this node, expected votes for the cluster, and its generation. */
    record Desired(Optional<Integer> votes, Optional<Integer> expectedVotes, Long generation) {
        boolean nothing() {
            return votes.isEmpty() && expectedVotes.isEmpty();
        }
    }

    /** Nothing to call; the outcome is final for this generation and state. */
    record Settled(ApplyOutcome outcome) implements VotePlan {}

    /** Nothing to call until the node is quorate or corosync is back. */
    record Wait(ApplyOutcome outcome) implements VotePlan {}

    /** Call setvotes (this node only) and/or setexpected, each only when it differs from corosync's value. */
    record Apply(long localNodeId, Optional<Integer> votes, Optional<Integer> expectedVotes, Desired desired)
            implements VotePlan {}

    static VotePlan decide(Desired desired, Optional<QuorumSnapshot> snapshot) {
        if (desired.nothing()) {
            return new Settled(ApplyOutcome.nothingRequested(desired.generation()));
        }
        if (snapshot.isEmpty()) {
            return new Wait(new ApplyOutcome(
                    Conditions.Status.False,
                    "CorosyncUnreachable",
                    "waiting for corosync to apply the spec",
                    Optional.empty(),
                    desired.generation()));
        }
        if (!snapshot.get().quorate()) {
            return new Wait(new ApplyOutcome(
                    Conditions.Status.False,
                    "NotQuorate",
                    "votes are applied only while this node is in the quorate partition",
                    Optional.empty(),
                    desired.generation()));
        }
        QuorumInfo local = snapshot.get().local();
        Optional<Integer> votes = desired.votes().filter(v -> v != local.votes());
        Optional<Integer> expected = desired.expectedVotes().filter(e -> e != local.expectedVotes());
        if (votes.isEmpty() && expected.isEmpty()) {
            return new Settled(applied(desired));
        }
        return new Apply(snapshot.get().config().localNodeId(), votes, expected, desired);
    }

    static ApplyOutcome applied(Desired desired) {
        return new ApplyOutcome(
                Conditions.Status.True,
                "Applied",
                "corosync carries "
                        + desired.votes().map(v -> v + " votes for this node").orElse("")
                        + (desired.votes().isPresent()
                                        && desired.expectedVotes().isPresent()
                                ? " and "
                                : "")
                        + desired.expectedVotes()
                                .map(e -> e + " expected votes")
                                .orElse(""),
                Optional.of(new AppliedVotes(
                        desired.votes().orElse(null), desired.expectedVotes().orElse(null), desired.generation())),
                desired.generation());
    }

    static ApplyOutcome refused(Desired desired, String reason, String message) {
        return new ApplyOutcome(Conditions.Status.False, reason, message, Optional.empty(), desired.generation());
    }
}
