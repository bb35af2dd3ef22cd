package io.votequorum.corosync;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Reads this node's {@link QuorumSnapshot}: a votequorum handle for the callbacks and getinfo, and
 * a cmap handle for names and options. {@link #track} keeps it current as callbacks arrive.
 * Threads: one owner thread calls everything but {@link #wake}, which any thread may call.
 */
public final class QuorumReader implements AutoCloseable {

    private final Votequorum votequorum;
    private final Cmap cmap;
    private CorosyncConfig config;
    private Optional<QuorumEvent.QuorumChanged> lastQuorum = Optional.empty();
    private Optional<QuorumEvent.MembershipChanged> lastMembership = Optional.empty();

    private QuorumReader(Votequorum votequorum, Cmap cmap) {
        this.votequorum = votequorum;
        this.cmap = cmap;
        this.config = CorosyncConfig.read(cmap);
    }

    /** Connects to corosync on this node; throws {@link CorosyncException} when it cannot. */
    public static QuorumReader connect() {
        Cmap cmap = Cmap.connect();
        try {
            return new QuorumReader(Votequorum.connect(), cmap);
        } catch (RuntimeException e) {
            cmap.close();
            throw e;
        }
    }

    public Votequorum votequorum() {
        return votequorum;
    }

    public CorosyncConfig config() {
        return config;
    }

    /** The present state: asks for the current callbacks once and waits for both of them. */
    public QuorumSnapshot readOnce(Duration timeout) throws InterruptedException {
        votequorum.trackStart(EnumSet.of(Track.CURRENT));
        Instant deadline = Instant.now().plus(timeout);
        // CURRENT alone delivers the present state once and leaves nothing to stop.
        while (lastQuorum.isEmpty() || lastMembership.isEmpty()) {
            votequorum.dispatch(DispatchMode.ALL);
            Optional<QuorumEvent> event = votequorum.nextEvent(Duration.ofMillis(20));
            event.ifPresent(this::apply);
            if (event.isEmpty() && Instant.now().isAfter(deadline)) {
                throw new CorosyncException(
                        "votequorum_dispatch",
                        CsError.CS_ERR_TIMEOUT.code(),
                        "votequorum sent no current state within " + timeout.toMillis() + " ms");
            }
        }
        return snapshot();
    }

    /** Starts tracking every change; read them with {@link #next} on one thread. */
    public void track() {
        votequorum.trackStart(Set.of(Track.CURRENT, Track.CHANGES));
        votequorum.startDispatchThread();
    }

    /** Waits for the next callback and folds it in; empty on timeout. */
    public Optional<QuorumEvent> next(Duration timeout) throws InterruptedException {
        Optional<QuorumEvent> event = votequorum.nextEvent(timeout);
        event.ifPresent(this::apply);
        return event;
    }

    /** Ends a waiting {@link #next} early and empty; safe from any thread. */
    public void wake() {
        votequorum.wake();
    }

    /** Folds a callback into the view this reader keeps. */
    public void apply(QuorumEvent event) {
        if (event instanceof QuorumEvent.QuorumChanged q) {
            lastQuorum = Optional.of(q);
        } else if (event instanceof QuorumEvent.MembershipChanged m) {
            lastMembership = Optional.of(m);
            if (m.members().stream().anyMatch(id -> config.nodes().stream().noneMatch(n -> n.nodeId() == id))) {
                config = CorosyncConfig.read(cmap); // a member the nodelist did not have: corosync reloaded it
            }
        } else if (event instanceof QuorumEvent.Disconnected d) {
            throw d.cause();
        }
    }

    /** The view as of the callbacks folded in so far, with fresh getinfo figures. */
    public QuorumSnapshot snapshot() {
        QuorumInfo local = votequorum.localInfo();
        return QuorumSnapshot.of(config, local, lastQuorum, lastMembership, this::votesOf);
    }

    private int votesOf(long nodeId) {
        try {
            return votequorum.info(nodeId).votes();
        } catch (CorosyncException e) {
            return 0; // a node votequorum no longer knows carries no votes
        }
    }

    @Override
    public void close() {
        try {
            votequorum.close();
        } finally {
            cmap.close();
        }
    }
}
