package io.votequorum.agent;

import io.quarkus.runtime.Quarkus;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;

/** The per-node agent: runs until the pod is stopped. */
@ApplicationScoped
public class AgentRole {

    private static final Logger LOG = Logger.getLogger(AgentRole.class);

    public int run(List<String> args) {
        LOG.info("votequorum-operator running as agent");
        Quarkus.waitForExit();
        LOG.info("agent stopped");
        return 0;
    }
}
