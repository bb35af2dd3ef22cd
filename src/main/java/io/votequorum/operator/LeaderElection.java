package io.votequorum.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

/**
 * Two operator replicas run; the one holding the {@value #LEASE} Lease in the operator's namespace
 * reconciles, and the other waits until it leads. A replica that loses the Lease while running exits,
 * so that only the holder ever fences; one that gives it up because it is stopping exits cleanly.
 */
public class LeaderElection {

    static final String LEASE = "votequorum-operator";
    private static final Logger LOG = Logger.getLogger(LeaderElection.class);
    private static volatile boolean stopping;

    @Produces
    @ApplicationScoped
    LeaderElectionConfiguration leaderElection(OperatorConfig config) {
        return new LeaderElectionConfiguration(
                LEASE,
                config.namespace(),
                LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
                identity(),
                new LeaderCallbacks(() -> {}, LeaderElection::stoppedLeading, leader -> {}),
                false);
    }

    /** The operator is stopping: giving up the Lease from now on is part of it, not a loss. */
    static void stopping() {
        stopping = true;
    }

    /** However the stop comes (a signal, or the application ending). Static: no bean is made for it. */
    static void onShutdown(@Observes ShutdownEvent event) {
        stopping();
    }

    private static void stoppedLeading() {
        if (stopping) {
            LOG.info("gave up the leader Lease on stopping");
            return;
        }
        LOG.error("lost the leader Lease " + LEASE + " while running; exiting, so that only its holder fences");
        System.exit(1);
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
