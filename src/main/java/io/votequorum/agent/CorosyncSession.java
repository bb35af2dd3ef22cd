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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;

/**
 * Keeps a connection to corosync on this node: tracks every change, turns each burst of callbacks
 * into one snapshot, and reconnects with backoff when corosync stops or restarts. While the watchdog
 * wants it, it also asks getinfo every {@link WatchdogFeed#PROBE}, so a hung corosync stops the
 * confirmations. Its own thread alone reads events; views go to the listener on another thread, so a
 * slow listener never delays a confirmation.
 */
final class CorosyncSession implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CorosyncSession.class);
    /** With nothing to probe, the thread sleeps until corosync has news. */
    private static final Duration IDLE = Duration.ofDays(1);

    private final Duration coalesce;
    private final Backoff backoff;
    private final BiConsumer<CorosyncView, Instant> listener;
    private final Confirmations confirmations;
    private final ExecutorService views = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "corosync-views");
        t.setDaemon(true);
        return t;
    });
    private final Thread thread;
    private volatile boolean running = true;
    private volatile QuorumReader reader;

    /** Who wants to hear that corosync confirmed (or denied) quorum, and when it was asked. */
    interface Confirmations {
        /** Whether to ask corosync every {@link WatchdogFeed#PROBE}. */
        boolean wanted();

        /** The clock the confirmations are timed by. */
        Instant now();

        void confirmed(Instant asked, boolean quorate);

        void unreachable();
    }

    /**
     * {@code listener} gets each new view with the time of the first callback behind it;
     * {@code confirmations} every answer about quorum, on this session's thread.
     */
    CorosyncSession(Duration coalesce, Backoff backoff, BiConsumer<CorosyncView, Instant> listener,
            Confirmations confirmations) {
        this.coalesce = coalesce;
        this.backoff = backoff;
        this.listener = listener;
        this.confirmations = confirmations;
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

    /** Ends the wait for the next callback early, so probing starts now when the watchdog wants it. */
    void wake() {
        QuorumReader current = reader;
        if (current != null) {
            current.wake();
        }
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
                    boolean probing = confirmations.wanted();
                    Optional<QuorumEvent> first = connected.next(probing ? WatchdogFeed.PROBE : IDLE);
                    if (first.isEmpty()) {
                        if (probing) {
                            Instant asked = confirmations.now();
                            confirmations.confirmed(asked, connected.votequorum().localInfo().quorate());
                        }
                        continue;
                    }
                    Instant since = first.get().received();
                    // A membership change arrives as several callbacks; one snapshot covers them all.
                    while (connected.next(coalesce).isPresent()) {
                        // folded into the reader's view
                    }
                    Instant asked = confirmations.now();
                    QuorumSnapshot snapshot = connected.snapshot();
                    confirmations.confirmed(asked, snapshot.quorate());
                    deliver(new CorosyncView.Reachable(snapshot), since);
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
                confirmations.unreachable();
                deliver(new CorosyncView.Unreachable(e.getMessage(), e instanceof CorosyncLibraryException),
                        Instant.now());
                pause(backoff.next());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                reader = null;
                LOG.error("unexpected failure reading corosync; reconnecting", e);
                confirmations.unreachable();
                deliver(new CorosyncView.Unreachable(e.toString()), Instant.now());
                pause(backoff.next());
            } finally {
                reader = null;
            }
        }
    }

    private void deliver(CorosyncView view, Instant since) {
        views.execute(() -> listener.accept(view, since));
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
        views.shutdownNow();
    }
}
