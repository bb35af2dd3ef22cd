package io.votequorum.status;

import static io.votequorum.agent.StatusReportTest.twoNodeWithQdevice;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class QuorumToolFormatTest {

    @Test
    void quorumtoolTextSpellsFlagsAsQuorumtoolDoes() {
        String text = QuorumToolFormat.summary(twoNodeWithQdevice(), Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(text)
                .contains(
                        "Ring ID:          1.2a",
                        "Quorate:          Yes",
                        "Nodes:            1",
                        "Flags:            2Node Quorate WaitForAll Qdevice QdeviceAlive",
                        "         2          1 n2 (local)",
                        "         0          1 Qdevice (Qdevice)");
        assertThat(text).doesNotContain(" n1");
    }

    @Test
    void aWatchLineSaysWhatChangedAndTheStateAfterIt() {
        String line = QuorumToolFormat.line(Instant.parse("2026-01-01T00:00:00Z"), "membership", twoNodeWithQdevice());
        assertThat(line)
                .isEqualTo("2026-01-01T00:00:00Z membership quorate=yes ring=1.2a members=2 expected=3 "
                        + "total=2 quorum=2 flags=2Node,Quorate,WaitForAll,Qdevice,QdeviceAlive");
    }
}
