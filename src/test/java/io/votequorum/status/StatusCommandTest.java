package io.votequorum.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCommandTest {

    @Test
    void optionsAreParsedInTheirShortAndLongForms() {
        assertThat(StatusCommand.Options.parse(List.of())).isEqualTo(new StatusCommand.Options(false, false));
        assertThat(StatusCommand.Options.parse(List.of("-o", "json")))
                .isEqualTo(new StatusCommand.Options(true, false));
        assertThat(StatusCommand.Options.parse(List.of("-ojson", "-w")))
                .isEqualTo(new StatusCommand.Options(true, true));
        assertThat(StatusCommand.Options.parse(List.of("--output=text", "--watch")))
                .isEqualTo(new StatusCommand.Options(false, true));
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertThatThrownBy(() -> StatusCommand.Options.parse(List.of("-o")))
                .hasMessage("-o needs a format: text or json");
        assertThatThrownBy(() -> StatusCommand.Options.parse(List.of("--output=yaml")))
                .hasMessage("unknown output format 'yaml': use text or json");
        assertThatThrownBy(() -> StatusCommand.Options.parse(List.of("-x"))).hasMessage("unknown option '-x'");
    }

    @Test
    void aBadOptionExitsOneWithUsageAndHelpExitsZero() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new StatusCommand().run(List.of("--bogus"), new PrintStream(out), new PrintStream(err));
        assertThat(code).isEqualTo(StatusCommand.EXIT_ERROR);
        assertThat(err.toString()).contains("unknown option '--bogus'", "usage:");

        int help = new StatusCommand().run(List.of("--help"), new PrintStream(out), new PrintStream(err));
        assertThat(help).isZero();
        assertThat(out.toString()).contains("Exit codes: 0 quorate, 2 not quorate, 1 error");
    }
}
