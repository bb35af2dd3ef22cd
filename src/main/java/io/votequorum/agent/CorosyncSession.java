package io.votequorum.agent;

import io.votequorum.agent.AgentStatus.CorosyncView;
import io.votequorum.corosync.CorosyncException;
import io.votequorum.corosync.CorosyncLibraryException;
import io.votequorum.corosync.QuorumEvent;
import io.votequorum.corosync.QuorumReader;
import io.votequorum.corosync.QuorumSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Keeps a connection to corosync on this node: tracks every change, turns each burst of callbacks
 * into one snapshot, and reconnects with backoff when corosync stops or restarts. While the watchdog
 * wants it, it also asks getinfo every {@link WatchdogFeed#PROBE}, so a hung corosync stops the
 * confirmations. Its own thread alone owns the corosync handles: it reads events and runs the calls
 * others {@link #submit}. The listener must not block (the agent's loop only queues the view).
 */
final class CorosyncSession implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CorosyncSession.class);
    /** With nothing to probe, the thread sleeps until corosync has news. */
    private static final Duration IDLE = Duration.ofDays(1);

    private final Duration coalesce;
    private final Backoff backoff;
    private final BiConsumer<CorosyncView, Instant> listener;
    private final Confirmations confirmations;
    private final Queue<Consumer<Optional<QuorumReader>>> tasks = new ConcurrentLinkedQueue<>();
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
    CorosyncSession(
            Duration coalesce,
            Backoff backoff,
            BiConsumer<CorosyncView, Instant> listener,
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

    /**
     * Runs {@code task} on this session's thread with the connected reader, or with none while corosync
     * is not connected. Any thread; returns at once.
     */
    void submit(Consumer<Optional<QuorumReader>> task) {
        tasks.add(task);
        QuorumReader current = reader;
        if (current != null) {
            current.wake();
        }
    }

    /** Ends the wait for the next callback early, so probing starts now when the watchdog wants it. */
    void wake() {
        QuorumReader current = reader;
        if (current != null) {
            current.wake();
        }
    }

    private void runTasks(Optional<QuorumReader> connected) {
        for (Consumer<Optional<QuorumReader>> task = tasks.poll(); task != null; task = tasks.poll()) {
            try {
                task.accept(connected);
            } catch (RuntimeException e) {
                LOG.error("a call into corosync failed", e);
            }
        }
    }

    private void run() {
        String lastFailure = null;
        while (running) {
            try (QuorumReader connected = QuorumReader.connect()) {
                reader = connected;
                connected.track();
                backoff.reset();
                lastFailure = null;
                LOG.infof(
                        "connected to corosync: cluster %s, node id %d",
                        connected.config().clusterName(), connected.config().localNodeId());
                while (running) {
                    runTasks(Optional.of(connected));
                    boolean probing = confirmations.wanted();
                    Optional<QuorumEvent> first = connected.next(probing ? WatchdogFeed.PROBE : IDLE);
                    if (first.isEmpty()) {
                        // A probe is due, or the watchdog has just asked for them: confirm now.
                        if (confirmations.wanted()) {
                            Instant asked = confirmations.now();
                            confirmations.confirmed(
                                    asked, connected.votequorum().localInfo().quorate());
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
                deliver(
                        new CorosyncView.Unreachable(e.getMessage(), e instanceof CorosyncLibraryException),
                        Instant.now());
                runTasks(Optional.empty());
                pause(backoff.next());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                reader = null;
                LOG.error("unexpected failure reading corosync; reconnecting", e);
                confirmations.unreachable();
                deliver(new CorosyncView.Unreachable(e.toString()), Instant.now());
                runTasks(Optional.empty());
                pause(backoff.next());
            } finally {
                reader = null;
            }
        }
    }

    private void deliver(CorosyncView view, Instant since) {
        listener.accept(view, since);
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
        runTasks(Optional.empty());
    }
}
