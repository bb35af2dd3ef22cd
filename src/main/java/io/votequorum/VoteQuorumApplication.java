package io.votequorum;

import io.quarkus.runtime.QuarkusApplication;
import io.votequorum.operator.CleanupCommand;
import io.votequorum.operator.OperatorRole;
import io.votequorum.status.StatusCommand;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Runs the role that {@link Main} selected. Only that role's beans are created. The agent is not
 * among them: it runs without Quarkus (AgentMain).
 */
public class VoteQuorumApplication implements QuarkusApplication {

    @ConfigProperty(name = Role.PROPERTY)
    Role role;

    @Inject
    Provider<OperatorRole> operator;

    @Inject
    Provider<StatusCommand> status;

    @Inject
    Provider<CleanupCommand> cleanup;

    @Override
    public int run(String... args) throws Exception {
        List<String> roleArgs = List.of(args);
        return switch (role) {
            case agent -> throw new IllegalStateException("the agent runs without Quarkus; Main starts it");
            case operator -> operator.get().run(roleArgs);
            case status -> status.get().run(roleArgs);
            case cleanup -> cleanup.get().run(roleArgs);
        };
    }
}
