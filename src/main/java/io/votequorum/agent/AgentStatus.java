package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.Condition;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.model.AppliedVotes;
import io.votequorum.model.Conditions;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.WatchdogStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the agent reports for its node, put together from what it knows: corosync's view (or why it
 * has none), the outcome of applying the spec, and the status it reported before.
 */
public final class AgentStatus {

    public static final String COROSYNC_REACHABLE = "CorosyncReachable";
    public static final String QUORATE = "Quorate";
    public static final String APPLIED = "Applied";

    private AgentStatus() {}

    /** corosync's view of this node, or the reason the agent has none. */
    public sealed interface CorosyncView {
        record Reachable(QuorumSnapshot snapshot) implements CorosyncView {}

        /** REASON says why; LIBRARY_MISSING when corosync's client library cannot be loaded on this node. */
        record Unreachable(String reason, boolean libraryMissing) implements CorosyncView {
            public Unreachable(String reason) {
                this(reason, false);
            }
        }
    }

    /** The result of applying the spec's votes and expected votes, as the Applied condition says it. */
    public record ApplyOutcome(
            Conditions.Status status,
            String reason,
            String message,
            Optional<AppliedVotes> applied,
            Long observedGeneration) {

        public static ApplyOutcome nothingRequested(Long generation) {
            return new ApplyOutcome(
                    Conditions.Status.True,
                    "NothingRequested",
                    "the spec asks for no votes and no expected votes",
                    Optional.empty(),
                    generation);
        }
    }

    /**
     * The full status for this node. Pure: the same inputs give the same status. {@code watchdog} is
     * the watchdog's report, absent while self-fencing has never been on.
     */
    public static QuorumStatusStatus compose(
            String nodeName,
            CorosyncView view,
            ApplyOutcome apply,
            SelfFence selfFence,
            Optional<WatchdogStatus> watchdog,
            QuorumStatusStatus previous,
            Instant now) {
        QuorumStatusStatus status;
        List<Condition> desired = new ArrayList<>();
        if (view instanceof CorosyncView.Reachable reachable) {
            status = StatusReport.toStatus(reachable.snapshot(), nodeName);
            desired.add(Conditions.of(
                    COROSYNC_REACHABLE, Conditions.Status.True, "Connected", "votequorum answers on this node", null));
            desired.add(Conditions.of(
                    QUORATE,
                    Conditions.Status.of(Boolean.TRUE.equals(status.getQuorate())),
                    Boolean.TRUE.equals(status.getQuorate()) ? "Quorate" : "NotQuorate",
                    status.getTotalVotes() + " votes present, quorum " + status.getQuorum() + ", "
                            + status.getMemberCount() + " members",
                    null));
        } else {
            CorosyncView.Unreachable unreachable = (CorosyncView.Unreachable) view;
            String reason = unreachable.reason();
            String code = unreachable.libraryMissing() ? "CorosyncLibraryMissing" : "CorosyncUnreachable";
            // Only identity survives: a stale membership must never read as a fresh one.
            status = new QuorumStatusStatus();
            status.setNodeName(nodeName);
            if (previous != null) {
                status.setNodeId(previous.getNodeId());
                status.setClusterName(previous.getClusterName());
            }
            desired.add(Conditions.of(COROSYNC_REACHABLE, Conditions.Status.False, code, reason, null));
            desired.add(Conditions.of(
                    QUORATE,
                    Conditions.Status.Unknown,
                    code,
                    "quorum is unknown while corosync cannot be reached",
                    null));
        }
        desired.add(
                Conditions.of(APPLIED, apply.status(), apply.reason(), apply.message(), apply.observedGeneration()));
        selfFence.condition(apply.observedGeneration()).ifPresent(desired::add);
        selfFence.deadline().map(Conditions::timestamp).ifPresent(status::setSelfFenceDeadline);
        watchdog.ifPresent(report -> {
            status.setWatchdog(report);
            desired.add(WatchdogFeed.condition(report, apply.observedGeneration()));
        });
        apply.applied().ifPresent(status::setApplied);
        if (apply.applied().isEmpty() && previous != null) {
            status.setApplied(previous.getApplied());
        }
        status.setObservedGeneration(apply.observedGeneration());

        Boolean before = previous == null ? null : previous.getQuorate();
        status.setLastTransitionTime(
                Objects.equals(before, status.getQuorate())
                                && previous != null
                                && previous.getLastTransitionTime() != null
                        ? previous.getLastTransitionTime()
                        : Conditions.timestamp(now));
        status.setConditions(Conditions.merge(previous == null ? List.of() : previous.getConditions(), desired, now));
        return status;
    }
}
