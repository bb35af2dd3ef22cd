package io.votequorum.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.votequorum.fencing.FenceRecord;
import io.votequorum.model.FenceStage;
import io.votequorum.model.VoteQuorumApi;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the operator has done to a Node, kept in the Node's {@value #KEY} annotation: the ladder
 * record, the corosync cluster whose policy fenced it, and exactly what it added (the cordon, the taints), so it removes only that (safety rule 3)
 * and a restart continues where it stopped (safety rule 2).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FenceAnnotation(
        String cluster,
        FenceStage stage,
        String since,
        String reason,
        String healthySince,
        boolean cordoned,
        List<String> taints,
        Integer evicted,
        String evidence,
        String offSince,
        String bootId) {

    public static final String KEY = VoteQuorumApi.GROUP + "/fencing";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Records already read, by their JSON: every pass reads every fenced Node's annotation again. */
    private static final Map<String, FenceAnnotation> READ = new ConcurrentHashMap<>();

    public FenceAnnotation {
        taints = taints == null ? List.of() : List.copyOf(taints);
    }

    public static Optional<FenceAnnotation> of(Map<String, String> annotations) {
        String value = annotations == null ? null : annotations.get(KEY);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        FenceAnnotation known = READ.get(value);
        if (known != null) {
            return Optional.of(known);
        }
        try {
            FenceAnnotation read = JSON.readValue(value, FenceAnnotation.class);
            if (READ.size() > 4096) {
                READ.clear();
            }
            READ.put(value, read);
            return Optional.of(read);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "the " + KEY + " annotation is not the operator's JSON (" + e.getOriginalMessage() + "): " + value,
                    e);
        }
    }

    public static FenceAnnotation start(String cluster, FenceRecord record) {
        return new FenceAnnotation(
                cluster,
                record.stage(),
                record.since().toString(),
                record.reason(),
                record.healthySince().map(Instant::toString).orElse(null),
                false,
                List.of(),
                null,
                record.evidence().orElse(null),
                record.offSince().map(Instant::toString).orElse(null),
                record.bootId().orElse(null));
    }

    /** The record; a field that is not what the operator writes makes it unreadable. */
    public FenceRecord record() {
        if (stage == null || since == null) {
            throw new IllegalStateException("the " + KEY + " annotation has no " + (stage == null ? "stage" : "since"));
        }
        try {
            return new FenceRecord(
                    stage,
                    Instant.parse(since),
                    reason,
                    Optional.ofNullable(healthySince).map(Instant::parse),
                    Optional.ofNullable(evidence),
                    Optional.ofNullable(offSince).map(Instant::parse),
                    Optional.ofNullable(bootId));
        } catch (DateTimeParseException e) {
            throw new IllegalStateException(
                    "the " + KEY + " annotation holds a time that is not RFC 3339: " + e.getParsedString(), e);
        }
    }

    public FenceAnnotation with(FenceRecord record) {
        return new FenceAnnotation(
                cluster,
                record.stage(),
                record.since().toString(),
                record.reason(),
                record.healthySince().map(Instant::toString).orElse(null),
                cordoned,
                taints,
                evicted,
                record.evidence().orElse(null),
                record.offSince().map(Instant::toString).orElse(null),
                record.bootId().orElse(null));
    }

    FenceAnnotation withCordon() {
        return new FenceAnnotation(
                cluster, stage, since, reason, healthySince, true, taints, evicted, evidence, offSince, bootId);
    }

    FenceAnnotation withTaint(String taint) {
        List<String> more = new ArrayList<>(taints);
        more.add(taint);
        return new FenceAnnotation(
                cluster, stage, since, reason, healthySince, cordoned, more, evicted, evidence, offSince, bootId);
    }

    FenceAnnotation withoutTaint(String taint) {
        List<String> fewer = new ArrayList<>(taints);
        fewer.remove(taint);
        return new FenceAnnotation(
                cluster, stage, since, reason, healthySince, cordoned, fewer, evicted, evidence, offSince, bootId);
    }

    FenceAnnotation withEvicted(int pods) {
        return new FenceAnnotation(
                cluster, stage, since, reason, healthySince, cordoned, taints, pods, evidence, offSince, bootId);
    }

    public String json() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
