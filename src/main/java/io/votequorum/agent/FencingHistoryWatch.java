package io.votequorum.agent;

import io.votequorum.corosync.NodeState;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.model.FencingHistory;
import io.votequorum.model.FencingHistory.CompletedFence;
import io.votequorum.pacemaker.FenceEvent;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Pacemaker's fencing history, read while it can matter: while this node is quorate and some node of
 * the nodelist is outside its partition. The operator takes a fence reported here, completed after
 * the node left the quorate partition, as proof that the node is off. Owned by the agent's loop; the
 * reads happen outside it and come back as {@link AgentLoop.HistoryRead}.
 */
final class FencingHistoryWatch {

    /** How often the history is read while a node is outside this partition. */
    static final Duration INTERVAL = Duration.ofSeconds(2);

    /** What the watch asks of the world. */
    interface World {
        /** Read the history on another thread; answers {@link AgentLoop.HistoryRead}. */
        void readFencingHistory();
    }

    /** A read: the entries, or why there are none; {@code absent} when Pacemaker is not on this node. */
    record Read(List<FenceEvent> events, Optional<String> error, boolean absent) {
        Read {
            events = List.copyOf(events);
        }
    }

    private final World world;
    private final AgentLoop.Timers timers;
    private boolean reading;
    private AgentLoop.Timer timer;
    private Optional<Read> last = Optional.empty();

    FencingHistoryWatch(World world, AgentLoop.Timers timers) {
        this.world = world;
        this.timers = timers;
    }

    void read(Read result) {
        reading = false;
        last = Optional.of(result);
        timer = timers.schedule(INTERVAL, new AgentLoop.HistoryDue());
    }

    void due() {
        timer = null;
    }

    /** Reads when due and wanted; the report for the status, empty when there is nothing to say. */
    Optional<FencingHistory> step(Optional<QuorumSnapshot> snapshot) {
        if (snapshot.isEmpty() || !wanted(snapshot.get())) {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
            last = Optional.empty();
            return Optional.empty();
        }
        if (!reading && timer == null) {
            reading = true;
            world.readFencingHistory();
        }
        return last.filter(r -> !r.absent()).map(r -> report(r, snapshot.get()));
    }

    /** Quorate, and some node of the nodelist is not a member of this partition. */
    static boolean wanted(QuorumSnapshot snapshot) {
        return snapshot.quorate() && snapshot.nodes().stream().anyMatch(n -> n.state() != NodeState.MEMBER);
    }

    /**
     * The report: for each node outside this partition, its latest fence that took it down. Pacemaker
     * names nodes as corosync's nodelist does; a name the nodelist lacks is reported without a node id.
     */
    static FencingHistory report(Read read, QuorumSnapshot snapshot) {
        if (read.error().isPresent()) {
            return new FencingHistory(
                    FencingHistory.PACEMAKER, List.of(), read.error().get());
        }
        Map<String, Long> ids = snapshot.nodes().stream()
                .filter(n -> n.name().isPresent())
                .collect(Collectors.toMap(n -> n.name().get(), QuorumSnapshot.Node::nodeId, (a, b) -> a));
        Set<String> members =
                snapshot.members().stream().flatMap(n -> n.name().stream()).collect(Collectors.toSet());
        List<CompletedFence> fenced = read.events().stream()
                .filter(FenceEvent::tookNodeDown)
                .filter(e -> !members.contains(e.target()))
                .collect(Collectors.toMap(
                        FenceEvent::target,
                        Function.identity(),
                        (a, b) -> a.completed().get().isAfter(b.completed().get()) ? a : b))
                .values()
                .stream()
                .sorted(Comparator.comparing(FenceEvent::target))
                .map(e -> new CompletedFence(
                        e.target(),
                        ids.get(e.target()),
                        e.action(),
                        e.completed().get().toString(),
                        e.delegate().orElse(null),
                        e.origin().orElse(null)))
                .toList();
        return new FencingHistory(FencingHistory.PACEMAKER, fenced, null);
    }
}
