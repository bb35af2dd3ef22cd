package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Renews the coordination.k8s.io Lease named after this node. A fresh Lease is how the operator
 * knows this node's QuorumStatus is current; it is the only write the agent makes while nothing changes.
 */
final class Heartbeat implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Heartbeat.class);

    private final KubernetesClient client;
    private final String nodeName;
    private final String namespace;
    private final Duration duration;
    private final Duration interval;
    private final AgentMetrics metrics;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lease-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean apiReachable = true;

    Heartbeat(
            KubernetesClient client,
            String nodeName,
            String namespace,
            Duration duration,
            Duration interval,
            AgentMetrics metrics) {
        this.client = client;
        this.nodeName = nodeName;
        this.namespace = namespace;
        this.duration = duration;
        this.interval = interval;
        this.metrics = metrics;
    }

    void start() {
        timer.scheduleWithFixedDelay(this::renew, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean apiReachable() {
        return apiReachable;
    }

    private void renew() {
        Lease lease = new LeaseBuilder()
                .withNewMetadata()
                .withName(nodeName)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(nodeName)
                .withLeaseDurationSeconds((int) duration.toSeconds())
                .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                .endSpec()
                .build();
        try {
            client.resource(lease)
                    .fieldManager(StatusPublisher.FIELD_MANAGER)
                    .forceConflicts()
                    .serverSideApply();
            metrics.apiWrite("Lease", true);
            if (!apiReachable) {
                LOG.infof("heartbeat Lease %s/%s renewed again", namespace, nodeName);
            }
            apiReachable = true;
        } catch (KubernetesClientException e) {
            metrics.apiWrite("Lease", false);
            if (apiReachable) {
                LOG.warnf("cannot renew heartbeat Lease %s/%s: %s", namespace, nodeName, e.getMessage());
            }
            apiReachable = false;
        } catch (RuntimeException e) {
            apiReachable = false;
            LOG.error("heartbeat failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
