package io.votequorum.fencing;

import io.votequorum.model.FenceStage;
import java.time.Instant;
import java.util.Optional;

/**
 * How far the operator has fenced one node and since when. The operator keeps it on the Node, so a
 * restart picks up where it stopped and never starts the ladder again.
 *
 * @param since        when the quorate partition excluding the node was first seen
 * @param healthySince when the node was first seen back in the quorate partition; unfencing waits
 *                     healthyDelay from then
 * @param evidence     at stage Fenced: the positive evidence that the node is off (safety rule 5)
 */
public record FenceRecord(
        FenceStage stage, Instant since, String reason, Optional<Instant> healthySince, Optional<String> evidence) {

    public FenceRecord(FenceStage stage, Instant since, String reason, Optional<Instant> healthySince) {
        this(stage, since, reason, healthySince, Optional.empty());
    }

    public FenceRecord atStage(FenceStage next) {
        return new FenceRecord(next, since, reason, Optional.empty(), evidence);
    }

    FenceRecord fencedOn(String proof) {
        return new FenceRecord(FenceStage.Fenced, since, reason, Optional.empty(), Optional.of(proof));
    }

    FenceRecord healthyFrom(Instant when) {
        return new FenceRecord(stage, since, reason, Optional.of(when), evidence);
    }
}
