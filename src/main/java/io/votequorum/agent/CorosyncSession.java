package io.votequorum.agent;

import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.CorosyncException;
import io.votequorum.corosync.CorosyncLibraryException;
import io.votequorum.corosync.QuorumEvent;
import io.votequorum.corosync.QuorumReader;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.Votequorum;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Keeps a connection to corosync on this node: tracks every change, turns each burst of callbacks
 * into one snapshot, and reconnects with backoff when corosync stops or restarts.
 */
final class CorosyncSession implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CorosyncSession.class);

    private final Duration coalesce;
    private final Backoff backoff;
    private final BiConsumer<CorosyncView, Instant> listener;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile QuorumReader reader;

    /** {@code listener} gets each new view with the time of the first callback behind it. */
    CorosyncSession(Duration coalesce, Backoff backoff, BiConsumer<CorosyncView, Instant> listener) {
        this.coalesce = coalesce;
        this.backoff = backoff;
        this.listener = listener;
        this.thread = new Thread(this::run, "corosync-session");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Runs votequorum calls on the current connection; empty when corosync is not connected. */
    <T> Optional<T> withVotequorum(java.util.function.Function<Votequorum, T> call) {
        QuorumReader current = reader;
        return current == null ? Optional.empty() : Optional.ofNullable(call.apply(current.votequorum()));
    }

    /** A fresh snapshot after calls that corosync does not announce with a callback (setvotes). */
    Optional<QuorumSnapshot> snapshotNow() {
        QuorumReader current = reader;
        return current == null ? Optional.empty() : Optional.of(current.snapshot());
    }

    private void run() {
        String lastFailure = null;
        while (running) {
            try (QuorumReader connected = QuorumReader.connect()) {
                reader = connected;
                connected.track();
                backoff.reset();
                lastFailure = null;
                LOG.infof("connected to corosync: cluster %s, node id %d", connected.config().clusterName(),
                        connected.config().localNodeId());
                while (running) {
                    Optional<QuorumEvent> first = connected.next(Duration.ofDays(1));
                    if (first.isEmpty()) {
                        continue;
                    }
                    Instant since = first.get().received();
                    // A membership change arrives as several callbacks; one snapshot covers them all.
                    while (connected.next(coalesce).isPresent()) {
                        // folded into the reader's view
                    }
                    listener.accept(new CorosyncView.Reachable(connected.snapshot()), since);
                }
            } catch (CorosyncException | CorosyncLibraryException e) {
                reader = null;
                if (!running) {
                    return;
                }
                if (!e.getMessage().equals(lastFailure)) {
                    LOG.warnf("corosync unreachable: %s", e.getMessage());
                    lastFailure = e.getMessage();
                }
                listener.accept(new CorosyncView.Unreachable(e.getMessage()), Instant.now());
                pause(backoff.next());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                reader = null;
                LOG.error("unexpected failure reading corosync; reconnecting", e);
                listener.accept(new CorosyncView.Unreachable(e.toString()), Instant.now());
                pause(backoff.next());
            } finally {
                reader = null;
            }
        }
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
