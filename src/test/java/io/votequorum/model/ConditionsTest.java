package io.votequorum.model;

import static io.votequorum.model.Conditions.Status.False;
import static io.votequorum.model.Conditions.Status.True;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00.250Z");
    private static final Instant T1 = Instant.parse("2026-01-01T10:05:00Z");

    @Test
    void newConditionTakesNow() {
        List<Condition> merged =
                Conditions.merge(List.of(), List.of(Conditions.of("Quorate", True, "Quorate", "3 of 3 votes", 1L)), T0);

        assertThat(merged).singleElement().satisfies(c -> {
            assertThat(c.getLastTransitionTime()).isEqualTo("2026-01-01T10:00:00Z");
            assertThat(c.getReason()).isEqualTo("Quorate");
            assertThat(c.getObservedGeneration()).isEqualTo(1L);
        });
    }

    @Test
    void unchangedStatusKeepsTransitionTimeEvenWhenMessageChanges() {
        List<Condition> first =
                Conditions.merge(List.of(), List.of(Conditions.of("Quorate", True, "Quorate", "3 of 3 votes", 1L)), T0);

        List<Condition> second =
                Conditions.merge(first, List.of(Conditions.of("Quorate", True, "Quorate", "2 of 3 votes", 2L)), T1);

        assertThat(second).singleElement().satisfies(c -> {
            assertThat(c.getLastTransitionTime()).as("status did not change").isEqualTo("2026-01-01T10:00:00Z");
            assertThat(c.getMessage()).isEqualTo("2 of 3 votes");
            assertThat(c.getObservedGeneration()).isEqualTo(2L);
        });
    }

    @Test
    void changedStatusMovesTransitionTime() {
        List<Condition> first =
                Conditions.merge(List.of(), List.of(Conditions.of("Quorate", True, "Quorate", "ok", 1L)), T0);

        List<Condition> second =
                Conditions.merge(first, List.of(Conditions.of("Quorate", False, "NoQuorum", "1 of 3 votes", 1L)), T1);

        assertThat(second)
                .singleElement()
                .extracting(Condition::getLastTransitionTime)
                .isEqualTo("2026-01-01T10:05:00Z");
    }

    @Test
    void eachTypeIsTrackedOnItsOwnAndDroppedTypesGo() {
        List<Condition> first = Conditions.merge(
                List.of(),
                List.of(
                        Conditions.of("CorosyncReachable", True, "Connected", "", null),
                        Conditions.of("Quorate", True, "Quorate", "", null),
                        Conditions.of("Applied", True, "Applied", "", null)),
                T0);

        List<Condition> second = Conditions.merge(
                first,
                List.of(
                        Conditions.of("Quorate", False, "NoQuorum", "", null),
                        Conditions.of("CorosyncReachable", True, "Connected", "", null)),
                T1);

        assertThat(second).extracting(Condition::getType).containsExactly("Quorate", "CorosyncReachable");
        assertThat(Conditions.find(second, "Quorate"))
                .get()
                .extracting(Condition::getLastTransitionTime)
                .isEqualTo("2026-01-01T10:05:00Z");
        assertThat(Conditions.find(second, "CorosyncReachable"))
                .get()
                .extracting(Condition::getLastTransitionTime)
                .isEqualTo("2026-01-01T10:00:00Z");
        assertThat(Conditions.isTrue(second, "CorosyncReachable")).isTrue();
        assertThat(Conditions.isTrue(second, "Quorate")).isFalse();
        assertThat(Conditions.isTrue(second, "Applied")).isFalse();
    }

    @Test
    void mergingTheSameConditionsTwiceIsStable() {
        List<Condition> desired = List.of(Conditions.of("Valid", True, "Valid", "policy accepted", 3L));
        List<Condition> first = Conditions.merge(List.of(), desired, T0);

        assertThat(Conditions.merge(first, desired, T1)).isEqualTo(first);
    }
}
