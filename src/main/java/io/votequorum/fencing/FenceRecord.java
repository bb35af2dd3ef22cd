package io.votequorum.fencing;

import io.votequorum.model.FenceStage;
import java.time.Instant;
import java.util.Optional;

/**
 * How far the operator has fenced one node and since when: one shape, whichever place keeps it (the
 * Node's annotation in Enforce, the policy's status in DryRun), so a restart picks up where it
 * stopped and never starts the ladder again.
 *
 * @param since        when the quorate partition excluding the node was first seen, this time: a node
 *                     that came back and left again starts a new record
 * @param healthySince when the node was first seen back in the quorate partition; unfencing waits
 *                     healthyDelay from then
 * @param evidence     at stage Fenced: the positive evidence that the node is off (safety rule 5)
 * @param offSince     at stage Fenced: the time from which that evidence shows the node off; a sign of
 *                     life after it voids the evidence
 * @param bootId       the node's boot (the kubelet's bootID) the record is about: followed until the
 *                     evidence is taken, then kept; a node that booted again since is alive again
 */
public record FenceRecord(
        FenceStage stage,
        Instant since,
        String reason,
        Optional<Instant> healthySince,
        Optional<String> evidence,
        Optional<Instant> offSince,
        Optional<String> bootId) {

    public FenceRecord(FenceStage stage, Instant since, String reason, Optional<Instant> healthySince) {
        this(stage, since, reason, healthySince, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public FenceRecord(
            FenceStage stage,
            Instant since,
            String reason,
            Optional<Instant> healthySince,
            Optional<String> evidence,
            Optional<Instant> offSince) {
        this(stage, since, reason, healthySince, evidence, offSince, Optional.empty());
    }

    /** The record at another stage; the evidence stays only at stage Fenced. */
    public FenceRecord atStage(FenceStage next) {
        boolean fenced = next == FenceStage.Fenced;
        return new FenceRecord(
                next,
                since,
                reason,
                Optional.empty(),
                fenced ? evidence : Optional.empty(),
                fenced ? offSince : Optional.empty(),
                bootId);
    }

    FenceRecord fencedOn(Evidence proof) {
        return new FenceRecord(
                FenceStage.Fenced,
                since,
                reason,
                Optional.empty(),
                Optional.of(proof.text()),
                Optional.of(proof.offSince()),
                bootId);
    }

    FenceRecord healthyFrom(Instant when) {
        return new FenceRecord(stage, since, reason, Optional.of(when), evidence, offSince, bootId);
    }

    /** The record about this boot of the node. */
    FenceRecord onBoot(Optional<String> boot) {
        return new FenceRecord(stage, since, reason, healthySince, evidence, offSince, boot);
    }

    /**
     * The node left again while waiting out healthyDelay: a new absence, seen from {@code now}. What the
     * operator did to the Node stays (never below Evicted once evicted); the evidence of the earlier
     * absence says nothing of this one.
     */
    FenceRecord leftAgain(Instant now, String why) {
        FenceStage kept = stage == FenceStage.Cordoned ? FenceStage.Cordoned : FenceStage.Evicted;
        return new FenceRecord(kept, now, why, Optional.empty(), Optional.empty(), Optional.empty(), bootId);
    }

    /** Positive evidence that a node is off: what it is, and from when it shows the node off. */
    public record Evidence(String text, Instant offSince) {}
}
