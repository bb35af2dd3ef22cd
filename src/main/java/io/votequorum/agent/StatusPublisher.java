package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusStatus;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The one writer of this node's QuorumStatus status. It holds only the newest status: a burst of
 * offers gives one write, a write that fails is retried with backoff, and an older status can never
 * be written after a newer one. The agent's loop offers a status only when it changed, so the writer
 * tells statuses apart by identity: the one offered last, and the one the API server took.
 */
final class StatusPublisher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(StatusPublisher.class);
    static final String FIELD_MANAGER = "votequorum-agent";

    /** The newest status; {@code since} is when the change behind it arrived, {@code waiting} when the oldest unwritten offer was made. */
    private record Pending(QuorumStatusStatus status, Instant since, Instant waiting) {}

    private final KubernetesClient client;
    private final String nodeName;
    private final Backoff backoff;
    private final AgentMetrics metrics;
    private final Consumer<QuorumStatusStatus> onAcknowledged;
    private final Clock clock;
    private final Thread thread;
    private Pending latest;
    private QuorumStatusStatus written;
    private volatile boolean running = true;
    private volatile boolean apiReachable = true;

    /** {@code onAcknowledged} hears each status the API server has taken; it must not block. */
    StatusPublisher(
            KubernetesClient client,
            String nodeName,
            Backoff backoff,
            AgentMetrics metrics,
            Consumer<QuorumStatusStatus> onAcknowledged,
            Clock clock) {
        this.client = client;
        this.nodeName = nodeName;
        this.backoff = backoff;
        this.metrics = metrics;
        this.onAcknowledged = onAcknowledged;
        this.clock = clock;
        this.thread = new Thread(this::run, "status-writer");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The status the API should show; {@code since} is when the change behind it reached the agent. */
    synchronized void offer(QuorumStatusStatus status, Instant since) {
        if (latest != null && latest.status() == status) {
            return;
        }
        boolean unwritten = latest != null && latest.status() != written;
        latest =
                new Pending(status, unwritten ? latest.since() : since, unwritten ? latest.waiting() : clock.instant());
        notifyAll();
    }

    /** The status the API server acknowledged last, to start from after a restart. */
    synchronized void assumeWritten(QuorumStatusStatus status) {
        written = status;
        onAcknowledged.accept(status);
        notifyAll();
    }

    boolean apiReachable() {
        return apiReachable;
    }

    /** Since when the newest status has waited for the API server to take it; empty when it has it. */
    synchronized Optional<Instant> pendingSince() {
        return latest == null || latest.status() == written ? Optional.empty() : Optional.of(latest.waiting());
    }

    private synchronized Pending awaitChange() throws InterruptedException {
        while (running && (latest == null || latest.status() == written)) {
            wait();
        }
        return latest;
    }

    private synchronized void acknowledge(Pending pending) {
        written = pending.status();
        onAcknowledged.accept(written);
        notifyAll();
    }

    /** Waits until the API server has acknowledged {@code status}, at most {@code max}; says whether it did. */
    synchronized boolean awaitWritten(QuorumStatusStatus status, Duration max) throws InterruptedException {
        long until = System.nanoTime() + max.toNanos();
        while (status != written) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    private void run() {
        while (running) {
            Pending pending;
            try {
                pending = awaitChange();
            } catch (InterruptedException e) {
                return;
            }
            if (pending == null) {
                return;
            }
            try {
                write(pending.status());
                acknowledge(pending);
                metrics.statusWritten(Duration.between(pending.since(), Instant.now()));
                if (!apiReachable) {
                    LOG.info("API server reachable again; status written");
                }
                apiReachable = true;
                backoff.reset();
            } catch (RuntimeException e) {
                // Whatever stops a write, the writer carries on; and the heartbeat stops vouching for the report.
                metrics.apiWrite("QuorumStatus", false);
                if (apiReachable) {
                    if (e instanceof KubernetesClientException) {
                        LOG.warnf(
                                "cannot write QuorumStatus %s: %s; keeping the newest status and retrying",
                                nodeName, e.getMessage());
                    } else {
                        LOG.error(
                                "cannot write QuorumStatus " + nodeName + "; keeping the newest status and retrying",
                                e);
                    }
                }
                apiReachable = false;
                try {
                    Thread.sleep(backoff.next().toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private void write(QuorumStatusStatus status) {
        QuorumStatus report = new QuorumStatus();
        report.setMetadata(new ObjectMetaBuilder().withName(nodeName).build());
        report.setSpec(null);
        report.setStatus(status);
        PatchContext apply = new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(FIELD_MANAGER)
                .withForce(true)
                .build();
        try {
            client.resource(report).subresource("status").patch(apply);
            metrics.apiWrite("QuorumStatus", true);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                throw e;
            }
            create();
            client.resource(report).subresource("status").patch(apply);
            metrics.apiWrite("QuorumStatus", true);
        }
    }

    /** The object does not exist yet: create it empty, its spec left to the operator. */
    private void create() {
        QuorumStatus shell = new QuorumStatus();
        shell.setMetadata(new ObjectMetaBuilder().withName(nodeName).build());
        shell.setSpec(null);
        shell.setStatus(null);
        try {
            client.resource(shell).create();
            metrics.apiWrite("QuorumStatus", true);
            LOG.infof("created QuorumStatus %s", nodeName);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
        thread.interrupt();
    }
}
