package io.votequorum.corosync;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import io.votequorum.corosync.LibVotequorum.votequorum_callbacks_t;
import io.votequorum.corosync.LibVotequorum.votequorum_info;
import io.votequorum.corosync.LibVotequorum.votequorum_node_t;
import io.votequorum.corosync.LibVotequorum.votequorum_ring_id_t;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.jboss.logging.Logger;

/**
 * A connection to corosync's votequorum service: the safe face of libvotequorum.
 *
 * <p>Threads: any thread may call; each library call holds the handle's lock for one attempt only,
 * so a retry of CS_ERR_TRY_AGAIN never keeps dispatch waiting. Callbacks run only inside
 * {@link #dispatch}, never throw, and only queue a {@link QuorumEvent}; read them with
 * {@link #nextEvent} (one reader thread). {@link #startDispatchThread} gives the handle one thread
 * that sleeps on corosync's fd and dispatches when corosync has news.
 */
public final class Votequorum implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Votequorum.class);

    /** The node id getinfo takes for "this node", which also carries the quorum device's fields. */
    public static final long QDEVICE_NODE_ID = 0;

    /**
     * The most votes, and expected votes, whose quorum (half plus one) fits corosync's 8-bit quorum:
     * past it the quorum figure wraps, and a few votes would count as quorate. The one place the
     * limit is written; the API's validation rules are built from it.
     */
    public static final int MAX_TOTAL_VOTES = 509;

    private final LibVotequorum lib = NativeLibraries.votequorum();
    private final BlockingQueue<QuorumEvent> events = new LinkedBlockingQueue<>();
    /** Queued by {@link #wake}; compared by identity and never handed out. */
    private static final QuorumEvent WAKE = new QuorumEvent.ExpectedVotesChanged(Instant.EPOCH, -1);

    private final long handle;
    private volatile boolean closed;
    private boolean tracking;
    private final Dispatcher dispatcher = new Dispatcher();

    // Fields, so the garbage collector keeps them while corosync may call them.
    private final LibVotequorum.votequorum_quorum_notification_fn_t quorumCallback = this::onQuorum;
    private final LibVotequorum.votequorum_nodelist_notification_fn_t nodelistCallback = this::onNodelist;
    private final LibVotequorum.votequorum_expectedvotes_notification_fn_t expectedCallback = this::onExpectedVotes;
    private final votequorum_callbacks_t callbacks = new votequorum_callbacks_t();

    private Votequorum() {
        callbacks.votequorum_quorum_notify_fn = quorumCallback;
        callbacks.votequorum_nodelist_notify_fn = nodelistCallback;
        callbacks.votequorum_expectedvotes_notify_fn = expectedCallback;
        LongByReference ref = new LongByReference();
        CsCall.check("votequorum_initialize", () -> lib.votequorum_initialize(ref, callbacks));
        handle = ref.getValue();
    }

    /** Connects to the corosync of this node (this network namespace). */
    public static Votequorum connect() {
        return new Votequorum();
    }

    /** votequorum_getinfo for a node id; {@link #QDEVICE_NODE_ID} (0) gives this node with the qdevice's fields. */
    public QuorumInfo info(long nodeId) {
        ensureOpen();
        votequorum_info raw = new votequorum_info();
        CsCall.check(
                "votequorum_getinfo(" + nodeId + ")",
                onHandle(() -> lib.votequorum_getinfo(handle, (int) nodeId, raw)));
        return toInfo(raw);
    }

    /** This node's votes and the cluster's quorum figures. */
    public QuorumInfo localInfo() {
        return info(QDEVICE_NODE_ID);
    }

    /** votequorum_setexpected: corosync refuses a value that would leave the cluster below its present votes. */
    public void setExpected(int expectedVotes) {
        ensureOpen();
        requireNonNegative("expected votes", expectedVotes);
        requireQuorumFits("expected votes " + expectedVotes, expectedVotes);
        CsCall.check(
                "votequorum_setexpected(" + expectedVotes + ")",
                onHandle(() -> lib.votequorum_setexpected(handle, expectedVotes)));
    }

    /** votequorum_setvotes for one node. */
    public void setVotes(long nodeId, int votes) {
        ensureOpen();
        requireNonNegative("votes", votes);
        QuorumInfo present = info(QDEVICE_NODE_ID);
        int others = present.totalVotes() - (nodeId == present.nodeId() ? present.votes() : votesIfMember(nodeId));
        requireQuorumFits(votes + " votes for node " + nodeId, others + votes);
        CsCall.check(
                "votequorum_setvotes(" + nodeId + ", " + votes + ")",
                onHandle(() -> lib.votequorum_setvotes(handle, (int) nodeId, votes)));
    }

    /** votequorum_trackstart: CURRENT queues the present state at once, CHANGES every later change. */
    public void trackStart(Set<Track> flags) {
        ensureOpen();
        CsCall.check("votequorum_trackstart", onHandle(() -> lib.votequorum_trackstart(handle, 0, Track.bits(flags))));
    }

    public void trackStop() {
        ensureOpen();
        CsCall.check("votequorum_trackstop", onHandle(() -> lib.votequorum_trackstop(handle)));
    }

    /** votequorum_fd_get: readable when corosync has callbacks to deliver. */
    public int fd() {
        ensureOpen();
        IntByReference fd = new IntByReference();
        CsCall.check("votequorum_fd_get", onHandle(() -> lib.votequorum_fd_get(handle, fd)));
        return fd.getValue();
    }

    /**
     * votequorum_dispatch, on the dispatch thread: runs the callbacks that are due, which queue their
     * events. Not available once {@link #startDispatchThread} has given dispatch to its loop.
     * ONE_NONBLOCKING with nothing due is not an error.
     */
    public void dispatch(DispatchMode mode) {
        synchronized (this) {
            ensureOpen();
        }
        int code = dispatcher.call(() -> {
            synchronized (this) {
                return closed ? CsError.CS_ERR_BAD_HANDLE.code() : lib.votequorum_dispatch(handle, mode.code);
            }
        });
        if (code != CsError.CS_OK.code() && code != CsError.CS_ERR_TRY_AGAIN.code()) {
            throw new CorosyncException("votequorum_dispatch", code);
        }
    }

    /** The next queued event, or empty when none arrives within the timeout or {@link #wake} is called. */
    public Optional<QuorumEvent> nextEvent(Duration timeout) throws InterruptedException {
        QuorumEvent event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return event == WAKE ? Optional.empty() : Optional.ofNullable(event);
    }

    /** The next queued event, waiting as long as it takes. */
    public QuorumEvent takeEvent() throws InterruptedException {
        QuorumEvent event;
        do {
            event = events.take();
        } while (event == WAKE);
        return event;
    }

    /** Ends a waiting {@link #nextEvent} early, with nothing: the reader has something else to do. */
    public void wake() {
        events.add(WAKE);
    }

    /**
     * Gives dispatch to its thread's loop: it sleeps in poll(2) on corosync's fd, dispatches when the
     * fd is readable, and queues {@link QuorumEvent.Disconnected} and ends if corosync goes away.
     */
    public synchronized void startDispatchThread() {
        ensureOpen();
        if (!tracking) {
            tracking = true;
            dispatcher.startLoop(
                    fd(), this::dispatchPending, () -> lostConnection("poll(2) reported the IPC connection closed"));
        }
    }

    /** The dispatch thread, for measuring its CPU time; empty until it first ran. */
    public Optional<Thread> dispatchThread() {
        return Optional.ofNullable(dispatcher.thread());
    }

    public void qdeviceRegister(String name) {
        qdeviceCall("votequorum_qdevice_register", name, () -> lib.votequorum_qdevice_register(handle, name));
    }

    public void qdeviceUnregister(String name) {
        qdeviceCall("votequorum_qdevice_unregister", name, () -> lib.votequorum_qdevice_unregister(handle, name));
    }

    public void qdeviceUpdate(String oldName, String newName) {
        qdeviceName(oldName);
        qdeviceCall(
                "votequorum_qdevice_update", newName, () -> lib.votequorum_qdevice_update(handle, oldName, newName));
    }

    /** Tells votequorum the device is alive and whether it casts its vote, for the given membership. */
    public void qdevicePoll(String name, boolean castVote, RingId ring) {
        votequorum_ring_id_t raw = new votequorum_ring_id_t();
        raw.nodeid = (int) ring.nodeId();
        raw.seq = ring.seq();
        qdeviceCall(
                "votequorum_qdevice_poll",
                name,
                () -> lib.votequorum_qdevice_poll(handle, name, castVote ? 1 : 0, raw));
    }

    public void qdeviceMasterWins(String name, boolean allow) {
        qdeviceCall(
                "votequorum_qdevice_master_wins",
                name,
                () -> lib.votequorum_qdevice_master_wins(handle, name, allow ? 1 : 0));
    }

    /** Stops the dispatch thread and finalizes the handle. Safe to call more than once. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        dispatcher.stop();
        synchronized (this) {
            int code = lib.votequorum_finalize(handle);
            if (code != CsError.CS_OK.code() && !CsError.of(code).meansDisconnected()) {
                LOG.debugf("votequorum_finalize: %s", CsError.of(code));
            }
        }
    }

    /** One dispatch of whatever is due, for the dispatch thread; false once the handle is closed. */
    synchronized boolean dispatchPending() {
        if (closed) {
            return false;
        }
        int code = lib.votequorum_dispatch(handle, DispatchMode.ALL.code);
        if (code != CsError.CS_OK.code() && code != CsError.CS_ERR_TRY_AGAIN.code()) {
            events.add(new QuorumEvent.Disconnected(
                    Instant.now(),
                    new CorosyncException(
                            "votequorum_dispatch", code, "corosync stopped or restarted; connect again")));
            return false;
        }
        return true;
    }

    void lostConnection(String why) {
        events.add(new QuorumEvent.Disconnected(
                Instant.now(), new CorosyncException("votequorum_dispatch", CsError.CS_ERR_LIBRARY.code(), why)));
    }

    private void qdeviceCall(String call, String name, IntSupplier invocation) {
        qdeviceName(name);
        ensureOpen();
        CsCall.check(call + "(" + name + ")", onHandle(invocation));
    }

    /**
     * One attempt of a library call, under the handle's lock (CS_ERR_BAD_HANDLE once closed). A retry
     * of TRY_AGAIN waits outside the lock, so dispatch and other calls go on meanwhile.
     */
    private IntSupplier onHandle(IntSupplier call) {
        return () -> {
            synchronized (this) {
                return closed ? CsError.CS_ERR_BAD_HANDLE.code() : call.getAsInt();
            }
        };
    }

    private static void qdeviceName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a quorum device needs a name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length >= LibVotequorum.VOTEQUORUM_QDEVICE_MAX_NAME_LEN) {
            throw new IllegalArgumentException("quorum device name '" + name + "' is longer than "
                    + (LibVotequorum.VOTEQUORUM_QDEVICE_MAX_NAME_LEN - 1) + " bytes");
        }
    }

    private int votesIfMember(long nodeId) {
        try {
            QuorumInfo node = info(nodeId);
            return node.state() == NodeState.MEMBER ? node.votes() : 0;
        } catch (CorosyncException e) {
            return 0; // an unknown node: corosync itself reports that on setvotes
        }
    }

    /**
     * corosync keeps the quorum figure in 8 bits: past {@value #MAX_TOTAL_VOTES} votes it wraps and a
     * handful of votes would count as quorate. Refuse before corosync accepts it.
     */
    private static void requireQuorumFits(String what, long votes) {
        if (votes > MAX_TOTAL_VOTES) {
            throw new IllegalArgumentException(what + " would bring the cluster to " + votes + " votes; corosync "
                    + "computes quorum correctly only up to " + MAX_TOTAL_VOTES + " votes in all");
        }
    }

    private static void requireNonNegative(String what, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be 0 or more, not " + value);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this votequorum handle is closed; connect again");
        }
    }

    private static QuorumInfo toInfo(votequorum_info raw) {
        String qdevice = Native.toString(raw.qdevice_name, StandardCharsets.UTF_8.name());
        return new QuorumInfo(
                Integer.toUnsignedLong(raw.node_id),
                NodeState.of(raw.node_state),
                raw.node_votes,
                raw.node_expected_votes,
                raw.highest_expected,
                raw.total_votes,
                raw.quorum,
                VotequorumFlag.of(raw.flags),
                raw.qdevice_votes,
                qdevice.isEmpty() ? Optional.empty() : Optional.of(qdevice));
    }

    private void onQuorum(long handle, long context, int quorate, int entries, Pointer nodeList) {
        try {
            List<NodeStatus> nodes = new ArrayList<>(entries);
            int size = new votequorum_node_t().size();
            for (int i = 0; i < entries; i++) {
                votequorum_node_t node = new votequorum_node_t(nodeList.share((long) i * size));
                nodes.add(new NodeStatus(Integer.toUnsignedLong(node.nodeid), NodeState.of(node.state)));
            }
            events.add(new QuorumEvent.QuorumChanged(Instant.now(), quorate != 0, nodes));
        } catch (Throwable e) {
            LOG.error("cannot read votequorum's quorum notification", e);
        }
    }

    private void onNodelist(long handle, long context, votequorum_ring_id_t ring, int entries, Pointer nodeList) {
        try {
            List<Long> members = new ArrayList<>(entries);
            for (int id : entries == 0 ? new int[0] : nodeList.getIntArray(0, entries)) {
                members.add(Integer.toUnsignedLong(id));
            }
            events.add(new QuorumEvent.MembershipChanged(
                    Instant.now(), new RingId(Integer.toUnsignedLong(ring.nodeid), ring.seq), members));
        } catch (Throwable e) {
            LOG.error("cannot read votequorum's nodelist notification", e);
        }
    }

    private void onExpectedVotes(long handle, long context, int expectedVotes) {
        try {
            events.add(new QuorumEvent.ExpectedVotesChanged(Instant.now(), expectedVotes));
        } catch (Throwable e) {
            LOG.error("cannot read votequorum's expected votes notification", e);
        }
    }
}
