package io.votequorum.operator;

import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import org.jboss.logging.Logger;

/** The operator: starts the JOSDK controllers (only in this role) and runs until stopped. */
@ApplicationScoped
public class OperatorRole {

    private static final Logger LOG = Logger.getLogger(OperatorRole.class);

    @Inject
    Operator operator;

    public int run(List<String> args) {
        LOG.info("votequorum-operator running as operator");
        if (operator.getRegisteredControllersNumber() > 0) {
            operator.start();
        }
        Quarkus.waitForExit();
        LeaderElection.stopping();
        LOG.info("operator stopped");
        return 0;
    }
}
