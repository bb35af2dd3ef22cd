package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When a renewal of the heartbeat Lease vouches for the report. */
class HeartbeatTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration RENEW = Duration.ofSeconds(2);

    @Test
    void aRenewalVouchesOnlyForAReportThatIsWrittenOrAboutToBe() {
        assertThat(Heartbeat.vouches(Optional.empty(), false, T0, RENEW))
                .as("the newest status is written")
                .isTrue();
        assertThat(Heartbeat.vouches(Optional.of(T0), false, T0.plusMillis(1500), RENEW))
                .as("a status on its way")
                .isTrue();
        assertThat(Heartbeat.vouches(Optional.of(T0), false, T0.plusMillis(2001), RENEW))
                .as("a status waiting longer than a renewal")
                .isFalse();
        assertThat(Heartbeat.vouches(Optional.of(T0), true, T0.plusMillis(10), RENEW))
                .as("after a failed write, only the newest status written lets the heartbeat go on")
                .isFalse();
        assertThat(Heartbeat.vouches(Optional.empty(), true, T0, RENEW))
                .as("written since")
                .isTrue();
    }
}
