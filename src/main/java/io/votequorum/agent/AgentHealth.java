package io.votequorum.agent;

import io.votequorum.Role;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only when corosync answers and the API server takes the agent's writes. */
@Readiness
@ApplicationScoped
public class AgentHealth implements HealthCheck {

    @ConfigProperty(name = Role.PROPERTY)
    Role role;

    @Inject
    AgentRole agentRole;

    @Override
    public HealthCheckResponse call() {
        if (role != Role.agent) {
            return HealthCheckResponse.up("agent (not this role)");
        }
        return agentRole
                .agent()
                .map(a -> HealthCheckResponse.named("agent")
                        .status(a.ready())
                        .withData("corosyncReachable", a.corosyncReachable())
                        .withData("apiServerReachable", a.apiReachable())
                        .build())
                .orElseGet(() -> HealthCheckResponse.down("agent"));
    }
}
