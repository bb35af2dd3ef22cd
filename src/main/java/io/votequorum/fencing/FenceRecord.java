package io.votequorum.fencing;

import io.votequorum.model.FenceStage;

import java.time.Instant;
import java.util.Optional;

/**
 * How far the operator has fenced one node and since when. The operator keeps it on the Node, so a
 * restart picks up where it stopped and never starts the ladder again.
 *
 * @param healthySince when the node was first seen back in the quorate partition; unfencing waits
 *                     healthyDelay from then
 */
public record FenceRecord(FenceStage stage, Instant since, String reason, Optional<Instant> healthySince) {

    public FenceRecord atStage(FenceStage next) {
        return new FenceRecord(next, since, reason, Optional.empty());
    }

    FenceRecord healthyFrom(Instant when) {
        return new FenceRecord(stage, since, reason, Optional.of(when));
    }
}
