package io.votequorum.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/**
 * Two operator replicas run; the one holding the {@value #LEASE} Lease in the operator's namespace
 * reconciles, and the other waits until it leads.
 */
public class LeaderElection {

    static final String LEASE = "votequorum-operator";

    @Produces
    @ApplicationScoped
    LeaderElectionConfiguration leaderElection(OperatorConfig config) {
        return new LeaderElectionConfiguration(LEASE, config.namespace(), identity());
    }

    /** The pod's name (POD_NAME), else host and process id: two replicas never share an identity. */
    static String identity() {
        String pod = System.getenv("POD_NAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        String host = System.getenv().getOrDefault("HOSTNAME", "operator");
        return host + "-" + ProcessHandle.current().pid();
    }
}
