package io.votequorum.agent;

import io.smallrye.config.Expressions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * What the agent does to fence its own node: by default an immediate reboot through the kernel's
 * magic SysRq trigger (the agent runs privileged with the host's /proc), or a command the admin
 * configures, such as one that stops kubelet and the container runtime.
 */
interface SelfFenceAction {

    Path SYSRQ_TRIGGER = Path.of("/proc/sysrq-trigger");

    /** Carries the action out, or throws saying why it could not, within {@code timeout}. */
    void fence(Duration timeout) throws IOException;

    String describe();

    static SelfFenceAction of(Optional<List<String>> command) {
        return command.filter(c -> !c.isEmpty())
                .<SelfFenceAction>map(Command::new)
                .orElseGet(SysrqReboot::new);
    }

    /**
     * The configured command exactly as written: the configuration would expand a shell's ${...} in
     * it, and an expression it cannot resolve would silently leave no command, so the reboot.
     */
    static SelfFenceAction configured(String key) {
        Optional<String> raw =
                Expressions.withoutExpansion(() -> ConfigProvider.getConfig().getOptionalValue(key, String.class));
        if (raw.isPresent() && argv(raw.get()).isEmpty()) {
            throw new IllegalArgumentException(key + " is set but names no command ('" + raw.get() + "'); give the "
                    + "command and its arguments separated by commas, or unset it for the SysRq reboot");
        }
        return of(raw.map(SelfFenceAction::argv));
    }

    /** A comma-separated argv, as the configuration writes lists: {@code \,} is a comma inside an argument. */
    static List<String> argv(String raw) {
        List<String> args = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' && i + 1 < raw.length() && raw.charAt(i + 1) == ',') {
                current.append(',');
                i++;
            } else if (c == ',') {
                args.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        args.add(current.toString());
        return args.stream().map(String::trim).filter(a -> !a.isEmpty()).toList();
    }

    /** 'b' to /proc/sysrq-trigger: reboot at once, without syncing or unmounting, as sbd does. */
    record SysrqReboot() implements SelfFenceAction {
        @Override
        public void fence(Duration timeout) throws IOException {
            Files.writeString(SYSRQ_TRIGGER, "b", StandardCharsets.US_ASCII);
        }

        @Override
        public String describe() {
            return "reboot through " + SYSRQ_TRIGGER;
        }
    }

    /** A command that must exit 0 within the timeout. */
    record Command(List<String> argv) implements SelfFenceAction {
        @Override
        public void fence(Duration timeout) throws IOException {
            Process process = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(
                            "the self-fence command " + argv + " did not finish within " + timeout.toMillis() + " ms");
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running the self-fence command " + argv, e);
            }
            if (process.exitValue() != 0) {
                throw new IOException("the self-fence command " + argv + " exited with " + process.exitValue());
            }
        }

        @Override
        public String describe() {
            return "command " + String.join(" ", argv);
        }
    }
}
