package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.votequorum.fencing.FencePlan;
import io.votequorum.fencing.PartitionVerdict;
import io.votequorum.fencing.QuoratePartition;
import io.votequorum.model.Conditions;
import io.votequorum.model.FencingMode;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.policy.QuorumRisk;
import java.util.List;
import java.util.Optional;

/** Every condition of a VoteQuorumPolicy: its type, and each status with its reason and message. */
final class PolicyConditions {

    /** Whether the policy's votes resolve to the cluster's nodes and make a safe layout. */
    static final String VALID = "Valid";
    /** Set while allowUnsafe lets an unsafe layout through. */
    static final String UNSAFE = "Unsafe";
    /** Whether every agent applied the policy's votes. */
    static final String APPLIED = "Applied";
    /** Whether the reports show a settled quorate partition. */
    static final String QUORATE = "Quorate";
    /** Whether the loss of one node, or of the quorum device, would break the quorate partition's quorum. */
    static final String QUORUM_AT_RISK = "QuorumAtRisk";
    /** Whether nodes are fenced now, or why fencing is held back. */
    static final String FENCING = "Fencing";
    /** Whether every step of the ladder the plan asked for was carried out (Enforce only). */
    static final String ACTIONS = "ActionsSucceeded";

    static final String PAUSED = "Paused";
    /** Whether the last pass ran to its end; False with the error when it failed. */
    static final String RECONCILED = "Reconciled";

    private PolicyConditions() {}

    static Condition reconciled(Long generation) {
        return Conditions.of(
                RECONCILED, Conditions.Status.True, "PassSucceeded", "the last pass ran to its end", generation);
    }

    static Condition passFailed(String message, Long generation) {
        return Conditions.of(
                RECONCILED,
                Conditions.Status.False,
                "PassFailed",
                message + "; the operator tries again (see its log)",
                generation);
    }

    static Condition valid(String message, Long generation) {
        return Conditions.of(VALID, Conditions.Status.True, "Valid", message, generation);
    }

    static Condition invalid(String reason, String message, Long generation) {
        return Conditions.of(VALID, Conditions.Status.False, reason, message, generation);
    }

    static Condition unsafe(String reason, String message, Long generation) {
        return Conditions.of(UNSAFE, Conditions.Status.True, reason, "allowUnsafe is set: " + message, generation);
    }

    /** Applied, with what the layout tolerates. */
    static Condition applied(QuorumRisk layout, Long generation) {
        return Conditions.of(
                APPLIED,
                Conditions.Status.True,
                "Applied",
                "every agent applied the votes of generation " + generation + "; the layout: " + layout.describe(),
                generation);
    }

    /** The quorate partition's risk; Unknown without a settled quorate partition. */
    static Condition quorumAtRisk(Optional<QuorumRisk> risk, Long generation) {
        if (risk.isEmpty()) {
            return Conditions.of(
                    QUORUM_AT_RISK,
                    Conditions.Status.Unknown,
                    "NoQuoratePartition",
                    "no settled quorate partition to analyse",
                    generation);
        }
        return risk.get().atRisk()
                ? Conditions.of(
                        QUORUM_AT_RISK,
                        Conditions.Status.True,
                        "SingleLossBreaksQuorum",
                        "the quorate partition has " + risk.get().describe(),
                        generation)
                : Conditions.of(
                        QUORUM_AT_RISK,
                        Conditions.Status.False,
                        "NoSingleLossBreaksQuorum",
                        "the quorate partition has " + risk.get().describe(),
                        generation);
    }

    /** Not applied (yet): REASON is Refused, Waiting, NotQuorate or Paused. */
    static Condition notApplied(String reason, String message, Long generation) {
        return Conditions.of(APPLIED, Conditions.Status.False, reason, message, generation);
    }

    static Condition quorate(PartitionVerdict verdict, Long generation) {
        if (verdict instanceof PartitionVerdict.NotExclusive shared) {
            return Conditions.of(QUORATE, Conditions.Status.True, "QuorateNotExclusive", shared.reason(), generation);
        }
        if (verdict instanceof PartitionVerdict.Quorate quorate) {
            QuoratePartition p = quorate.partition();
            return Conditions.of(
                    QUORATE,
                    Conditions.Status.True,
                    "SettledQuorateView",
                    "ring " + p.ring() + " with " + p.members().size() + " members holds quorum",
                    generation);
        }
        return Conditions.of(
                QUORATE,
                Conditions.Status.Unknown,
                "NoSettledQuorateView",
                ((PartitionVerdict.NoQuorateView) verdict).reason(),
                generation);
    }

    /**
     * True while nodes are fenced (or waiting for proof that they are off); False with the reason when
     * none is, or when fencing is held back.
     */
    static Condition fencing(
            FencePlan plan,
            FencingMode mode,
            boolean paused,
            Optional<Condition> invalid,
            Optional<String> awaiting,
            int fenced,
            Long generation) {
        String dryRun = mode == FencingMode.DryRun ? " (dry run: nothing is changed)" : "";
        if (invalid.isPresent()) {
            return Conditions.of(
                    FENCING,
                    Conditions.Status.False,
                    "InvalidPolicy",
                    "nothing is done while the policy " + "is not valid: "
                            + invalid.get().getMessage(),
                    generation);
        }
        if (paused) {
            return Conditions.of(FENCING, Conditions.Status.False, "Paused", "the policy is paused", generation);
        }
        if (mode == FencingMode.Disabled) {
            return Conditions.of(
                    FENCING,
                    Conditions.Status.False,
                    "Disabled",
                    "fencing is disabled by the policy's " + "mode",
                    generation);
        }
        if (plan.refusal().isPresent()) {
            return Conditions.of(
                    FENCING,
                    Conditions.Status.False,
                    "NotFencing",
                    plan.refusal().get(),
                    generation);
        }
        if (awaiting.isPresent()) {
            return Conditions.of(
                    FENCING, Conditions.Status.True, "AwaitingConfirmation", awaiting.get() + dryRun, generation);
        }
        if (fenced == 0) {
            return Conditions.of(
                    FENCING,
                    Conditions.Status.False,
                    "NothingToFence",
                    "every node is a member of the " + "quorate partition; " + mode
                            + " fences any node that falls out of it" + dryRun,
                    generation);
        }
        return Conditions.of(
                FENCING, Conditions.Status.True, mode.name(), fenced + " node(s) fenced" + dryRun, generation);
    }

    /** Enforce: whether every step ran; False names each failing step and its error. */
    static Condition actions(List<String> failures, Long generation) {
        return failures.isEmpty()
                ? Conditions.of(
                        ACTIONS,
                        Conditions.Status.True,
                        "AllStepsDone",
                        "every step the plan asked for is " + "carried out",
                        generation)
                : Conditions.of(
                        ACTIONS,
                        Conditions.Status.False,
                        "ActionFailed",
                        String.join("; ", failures) + "; the next reconcile tries again",
                        generation);
    }

    static Condition paused(boolean paused, Long generation) {
        return Conditions.of(
                PAUSED,
                Conditions.Status.of(paused),
                paused ? "Paused" : "NotPaused",
                paused ? "the " + VoteQuorumApi.PAUSED_ANNOTATION + " annotation stops every action" : "acting",
                generation);
    }
}
