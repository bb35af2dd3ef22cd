package io.votequorum;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.votequorum.agent.AgentMain;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import sun.misc.Signal;

/** Entry point: picks the role before Quarkus starts, so that each role boots only what it needs. */
@QuarkusMain
public final class Main {

    /** sysexits' EX_USAGE: the command was used wrongly. */
    static final int EXIT_USAGE = 64;

    private Main() {}

    public static void main(String... args) {
        Role.Selection selection;
        try {
            selection =
                    Role.select(List.of(args), Optional.ofNullable(System.getProperty(Role.PROPERTY)), System.getenv());
        } catch (Role.UnknownRoleException e) {
            System.err.println("votequorum-operator: " + e.getMessage());
            System.exit(EXIT_USAGE);
            return;
        }
        System.setProperty(Role.PROPERTY, selection.role().name());
        if (selection.role() == Role.agent) {
            runAgent();
            return;
        }
        if (selection.role() != Role.operator) {
            // The operator SDK's health check reports DOWN wherever its controllers do not run: only the
            // operator role's readiness may depend on it.
            System.setProperty(
                    "quarkus.smallrye-health.check.\"io.quarkiverse.operatorsdk.runtime.OperatorHealthCheck\""
                            + ".enabled",
                    "false");
        }
        if (selection.role() == Role.status) {
            quietForCommandLine();
        } else if (selection.role() == Role.cleanup) {
            System.setProperty("quarkus.http.host-enabled", "false"); // a one-shot job opens no port
        } else {
            exitCleanlyOnSignals();
        }
        Quarkus.run(VoteQuorumApplication.class, selection.args().toArray(String[]::new));
    }

    /** The agent runs without Quarkus ({@link AgentMain}) until it is stopped; a failure to start exits 1. */
    private static void runAgent() {
        try {
            AgentMain.run();
        } catch (Exception | Error e) {
            System.err.println("votequorum-operator agent: cannot start: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    /**
     * SIGTERM is how Kubernetes stops a pod. Turning it into an ordinary Quarkus shutdown lets the
     * roles finish their work and the process exit 0 rather than 143.
     */
    private static void exitCleanlyOnSignals() {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> Quarkus.asyncExit(0));
        }
    }

    /** The CLI owns stdout (its output may be JSON) and must not open ports next to the agent. */
    private static void quietForCommandLine() {
        Map.of(
                        "quarkus.http.host-enabled",
                        "false",
                        "quarkus.log.console.stderr",
                        "true",
                        "quarkus.log.level",
                        "WARN",
                        "quarkus.banner.enabled",
                        "false")
                .forEach((key, value) -> {
                    if (System.getProperty(key) == null) {
                        System.setProperty(key, value);
                    }
                });
    }
}
