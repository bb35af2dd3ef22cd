package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class AgentLogTest {

    @Test
    void quarkusLevelNamesInAnyCaseMapToTheirJavaLoggingLevelsAndOthersAreRefusedWithTheChoices() {
        assertThat(AgentLog.level("warn")).isEqualTo(Level.WARNING);
        assertThat(AgentLog.level("WARNING")).isEqualTo(Level.WARNING);
        assertThat(AgentLog.level(" DEBUG ")).isEqualTo(Level.FINE);
        assertThat(AgentLog.level("error")).isEqualTo(Level.SEVERE);
        assertThat(AgentLog.level("TRACE")).isEqualTo(Level.FINEST);
        assertThatThrownBy(() -> AgentLog.level("loud"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("quarkus.log.level=loud is not a log level")
                .hasMessageContaining("WARN, INFO, DEBUG");
    }

    @Test
    void aRecordReadsAsQuarkusWritesIt() {
        LogRecord record = new LogRecord(Level.WARNING, "corosync unreachable: {0}");
        record.setParameters(new Object[] {"CS_ERR_LIBRARY"});
        record.setLoggerName("io.votequorum.agent.CorosyncSession");
        String line = new AgentLog().format(record);
        assertThat(line)
                .matches(
                        "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} WARN  \\[io\\.votequorum\\.agent\\.CorosyncSession\\] "
                                + "\\(\\S+\\) corosync unreachable: CS_ERR_LIBRARY\\R");
    }
}
