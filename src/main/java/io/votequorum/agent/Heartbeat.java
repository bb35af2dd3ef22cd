package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Renews the coordination.k8s.io Lease named after this node. A fresh Lease is how the operator
 * knows this node's QuorumStatus is current, so it is renewed only while it is: not while a newer
 * status has waited longer than one renewal interval for the API server to take it, nor after a write
 * failed until the newest status is written (the API server down, writes refused by RBAC or admission,
 * a writer that failed). It is the only write the agent makes while nothing changes.
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
    private final Supplier<Optional<Instant>> pendingSince;
    private final BooleanSupplier lastWriteFailed;
    private final Clock clock;
    private volatile boolean apiReachable = true;
    private volatile boolean vouching = true;

    Heartbeat(
            KubernetesClient client,
            String nodeName,
            String namespace,
            Duration duration,
            Duration interval,
            AgentMetrics metrics,
            Supplier<Optional<Instant>> pendingSince,
            BooleanSupplier lastWriteFailed,
            Clock clock) {
        this.client = client;
        this.nodeName = nodeName;
        this.namespace = namespace;
        this.duration = duration;
        this.interval = interval;
        this.metrics = metrics;
        this.pendingSince = pendingSince;
        this.lastWriteFailed = lastWriteFailed;
        this.clock = clock;
    }

    /**
     * Whether a renewal now vouches for the report: the newest status is written, or it waits no longer
     * than {@code grace} and the last write went through. After a failed write (the API server was down,
     * or refused it) only the write of the newest status lets the heartbeat go on: a renewal that reached
     * the API server before it would vouch for the old report.
     */
    static boolean vouches(Optional<Instant> pendingSince, boolean lastWriteFailed, Instant now, Duration grace) {
        return pendingSince
                .map(since -> !lastWriteFailed && !now.isAfter(since.plus(grace)))
                .orElse(true);
    }

    void start() {
        timer.scheduleWithFixedDelay(this::renew, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean apiReachable() {
        return apiReachable;
    }

    private void renew() {
        Instant now = clock.instant();
        boolean current = vouches(pendingSince.get(), lastWriteFailed.getAsBoolean(), now, interval);
        if (!current) {
            if (vouching) {
                LOG.warnf(
                        "QuorumStatus %s has not been written for more than %d ms: the heartbeat Lease is not renewed "
                                + "until it is, so the operator stops trusting the old report",
                        nodeName, interval.toMillis());
            }
            vouching = false;
            return;
        }
        if (!vouching) {
            LOG.infof("QuorumStatus %s is current again; renewing the heartbeat Lease", nodeName);
        }
        vouching = true;
        Lease lease = new LeaseBuilder()
                .withNewMetadata()
                .withName(nodeName)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(nodeName)
                .withLeaseDurationSeconds((int) duration.toSeconds())
                .withRenewTime(ZonedDateTime.ofInstant(now, ZoneOffset.UTC))
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
