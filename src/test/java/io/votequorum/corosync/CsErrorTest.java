package io.votequorum.corosync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CsErrorTest {

    @Test
    void codesMapToTheirNamesAndUnknownCodesToTheFallback() {
        assertThat(CsError.of(1)).isEqualTo(CsError.CS_OK);
        assertThat(CsError.of(6)).isEqualTo(CsError.CS_ERR_TRY_AGAIN);
        assertThat(CsError.of(100)).isEqualTo(CsError.CS_ERR_SECURITY);
        assertThat(CsError.of(29)).isEqualTo(CsError.CS_ERR_UNKNOWN);
        assertThat(CsError.of(-5)).isEqualTo(CsError.CS_ERR_UNKNOWN);
    }

    @Test
    void theExceptionNamesTheCallTheErrorAndKeepsTheRawCode() {
        CorosyncException known = new CorosyncException("votequorum_setexpected(1)", 7);
        assertThat(known).hasMessage("votequorum_setexpected(1) failed: CS_ERR_INVALID_PARAM");
        assertThat(known.call()).isEqualTo("votequorum_setexpected(1)");
        assertThat(known.error()).isEqualTo(CsError.CS_ERR_INVALID_PARAM);

        CorosyncException unknown = new CorosyncException("votequorum_getinfo(0)", 4242);
        assertThat(unknown.error()).isEqualTo(CsError.CS_ERR_UNKNOWN);
        assertThat(unknown.code()).isEqualTo(4242);
        assertThat(unknown).hasMessageContaining("unknown cs_error_t 4242");
    }

    @Test
    void tryAgainIsRetriedUntilCorosyncAnswers() {
        AtomicInteger calls = new AtomicInteger();
        CsCall.check("votequorum_getinfo(0)", () -> calls.incrementAndGet() < 3 ? 6 : 1);
        assertThat(calls).hasValue(3);
    }

    @Test
    void tryAgainForeverGivesUpAfterABoundedNumberOfAttempts() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> CsCall.check("votequorum_trackstart", () -> {
                    calls.incrementAndGet();
                    return 6;
                }))
                .isInstanceOf(CorosyncException.class)
                .hasMessageContaining("CS_ERR_TRY_AGAIN")
                .hasMessageContaining("stayed busy");
        assertThat(calls).hasValue(CsCall.MAX_ATTEMPTS);
    }

    @Test
    void otherErrorsAreNotRetriedAndCarryAHint() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> CsCall.check("cmap_initialize", () -> {
                    calls.incrementAndGet();
                    return 2;
                }))
                .hasMessageContaining("corosync is not running on this node");
        assertThat(calls).hasValue(1);
        assertThatThrownBy(() -> CsCall.check("votequorum_initialize", () -> 11))
                .hasMessageContaining("uidgid");
    }
}
