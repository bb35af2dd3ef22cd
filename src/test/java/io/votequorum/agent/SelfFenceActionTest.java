package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The self-fence action as configured: a command exactly as written, or the SysRq reboot. */
class SelfFenceActionTest {

    private static final String KEY = "votequorum.agent.self-fence-command";

    @AfterEach
    void clear() {
        System.clearProperty(KEY);
    }

    @Test
    void aCommaSeparatedArgvKeepsEscapedCommasAndDropsEmptyArguments() {
        assertThat(SelfFenceAction.argv("systemctl, stop ,kubelet")).containsExactly("systemctl", "stop", "kubelet");
        assertThat(SelfFenceAction.argv("sh,-c,echo a\\,b")).containsExactly("sh", "-c", "echo a,b");
        assertThat(SelfFenceAction.argv(" , ")).isEmpty();
    }

    @Test
    void aShellExpressionInTheCommandIsKeptAsWrittenNotDroppedForTheReboot() {
        System.setProperty(KEY, "sh,-c,n=${p#/proc/}; echo $n");
        SelfFenceAction action = SelfFenceAction.configured(KEY);
        assertThat(action).isEqualTo(new SelfFenceAction.Command(List.of("sh", "-c", "n=${p#/proc/}; echo $n")));
    }

    @Test
    void unsetMeansTheRebootAndABlankCommandIsRefused() {
        assertThat(SelfFenceAction.configured(KEY)).isEqualTo(new SelfFenceAction.SysrqReboot());
        System.setProperty(KEY, " , ");
        assertThatThrownBy(() -> SelfFenceAction.configured(KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names no command");
        assertThat(SelfFenceAction.of(Optional.empty())).isEqualTo(new SelfFenceAction.SysrqReboot());
    }
}
