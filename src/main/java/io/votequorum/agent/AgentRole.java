package io.votequorum.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/** The per-node agent: runs until the pod is stopped. */
@ApplicationScoped
public class AgentRole {

    private static final Logger LOG = Logger.getLogger(AgentRole.class);

    @Inject
    AgentConfig config;

    @Inject
    KubernetesClient client;

    @Inject
    MeterRegistry registry;

    private volatile Agent agent;

    public int run(List<String> args) {
        LOG.info("votequorum-operator running as agent");
        try (Agent running = new Agent(config, client, registry)) {
            agent = running;
            running.start();
            Quarkus.waitForExit();
        } finally {
            agent = null;
        }
        LOG.info("agent stopped");
        return 0;
    }

    /** The running agent, for the health checks; empty in the other roles. */
    Optional<Agent> agent() {
        return Optional.ofNullable(agent);
    }
}
