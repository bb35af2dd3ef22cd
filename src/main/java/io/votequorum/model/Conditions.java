package io.votequorum.model;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds status conditions in the Kubernetes form. The one place that decides lastTransitionTime:
 * it moves only when a condition's status changes.
 */
public final class Conditions {

    public enum Status {
        True,
        False,
        Unknown;

        public static Status of(boolean value) {
            return value ? True : False;
        }
    }

    private Conditions() {}

    /** A condition without a transition time; {@link #merge} fills it in. */
    public static Condition of(String type, Status status, String reason, String message, Long observedGeneration) {
        return new ConditionBuilder()
                .withType(type)
                .withStatus(status.name())
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(observedGeneration)
                .build();
    }

    /**
     * The desired conditions, in their order, each keeping the previous lastTransitionTime when its
     * status is unchanged and taking {@code now} when it changed or is new. Previous conditions of
     * types no longer desired are dropped.
     */
    public static List<Condition> merge(List<Condition> previous, List<Condition> desired, Instant now) {
        List<Condition> merged = new ArrayList<>(desired.size());
        for (Condition wanted : desired) {
            String since = find(previous, wanted.getType())
                    .filter(old -> Objects.equals(old.getStatus(), wanted.getStatus()))
                    .map(Condition::getLastTransitionTime)
                    .filter(Objects::nonNull)
                    .orElseGet(() -> timestamp(now));
            merged.add(
                    new ConditionBuilder(wanted).withLastTransitionTime(since).build());
        }
        return merged;
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions == null
                ? Optional.empty()
                : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        return find(conditions, type)
                .map(c -> Status.True.name().equals(c.getStatus()))
                .orElse(false);
    }

    /** RFC 3339 in UTC at second precision, as Kubernetes writes metav1.Time. */
    public static String timestamp(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
    }
}
