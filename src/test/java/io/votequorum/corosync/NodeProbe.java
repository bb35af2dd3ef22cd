package io.votequorum.corosync;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;

/**
 * Runs binding calls inside a corosync node's namespace for the tests, which live outside it, and
 * prints what happened as one JSON document per line.
 *
 * <pre>
 *   info NODEID | setvotes NODEID VOTES | setexpected VOTES
 *   events SECONDS   print every callback; on a lost connection, reconnect and go on
 *   device NAME CAST SECONDS INTERVAL_MS
 *                    register quorum device NAME and poll it (casting its vote or not) with the
 *                    current ring every INTERVAL_MS for SECONDS, and at once on each new ring
 *   device-ring NAME NODEID SEQ
 *                    register NAME and poll it once with the given ring id
 * </pre>
 */
public final class NodeProbe {

    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeProbe() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "info" -> call(v -> print(info(v.info(Long.parseLong(args[1])))));
            case "setvotes" ->
                call(v -> {
                    v.setVotes(Long.parseLong(args[1]), Integer.parseInt(args[2]));
                    print(JSON.createObjectNode().put("ok", true));
                });
            case "setexpected" ->
                call(v -> {
                    v.setExpected(Integer.parseInt(args[1]));
                    print(JSON.createObjectNode().put("ok", true));
                });
            case "events" -> events(Duration.ofSeconds(Long.parseLong(args[1])));
            case "device" ->
                device(
                        args[1],
                        Boolean.parseBoolean(args[2]),
                        Duration.ofSeconds(Long.parseLong(args[3])),
                        Duration.ofMillis(Long.parseLong(args[4])));
            case "device-ring" ->
                call(v -> {
                    register(v, args[1]);
                    v.qdevicePoll(args[1], true, new RingId(Long.parseLong(args[2]), Long.parseLong(args[3])));
                    print(JSON.createObjectNode().put("ok", true));
                });
            default -> throw new IllegalArgumentException("unknown probe command " + args[0]);
        }
    }

    interface Call {
        void run(Votequorum votequorum) throws Exception;
    }

    private static void call(Call call) throws Exception {
        try (Votequorum votequorum = Votequorum.connect()) {
            call.run(votequorum);
        } catch (CorosyncException e) {
            print(error(e));
        }
    }

    private static void events(Duration length) throws Exception {
        Instant end = Instant.now().plus(length);
        Votequorum votequorum = Votequorum.connect();
        votequorum.trackStart(EnumSet.of(Track.CURRENT, Track.CHANGES));
        votequorum.startDispatchThread();
        print(JSON.createObjectNode().put("type", "ready"));
        long dispatchCpu = 0;
        try {
            while (Instant.now().isBefore(end)) {
                Optional<QuorumEvent> next = votequorum.nextEvent(Duration.ofMillis(200));
                if (next.isEmpty()) {
                    continue;
                }
                QuorumEvent event = next.get();
                print(describe(event));
                if (event instanceof QuorumEvent.Disconnected) {
                    dispatchCpu += cpu(votequorum);
                    votequorum.close();
                    votequorum = reconnect(end);
                    if (votequorum == null) {
                        return;
                    }
                    print(JSON.createObjectNode().put("type", "reconnected").set("info", info(votequorum.localInfo())));
                    votequorum.trackStart(EnumSet.of(Track.CURRENT, Track.CHANGES));
                    votequorum.startDispatchThread();
                }
            }
            dispatchCpu += cpu(votequorum);
        } finally {
            if (votequorum != null) {
                votequorum.close();
            }
            print(JSON.createObjectNode().put("type", "end").put("dispatchCpuNanos", dispatchCpu));
        }
    }

    /** Registers and polls a quorum device as corosync-qdevice does: on each new ring at once, else every interval. */
    private static void device(String name, boolean cast, Duration length, Duration interval) throws Exception {
        Instant end = Instant.now().plus(length);
        try (Votequorum votequorum = Votequorum.connect()) {
            votequorum.trackStart(EnumSet.of(Track.CURRENT, Track.CHANGES));
            votequorum.startDispatchThread();
            register(votequorum, name);
            RingId ring = null;
            Instant nextPoll = Instant.now();
            while (Instant.now().isBefore(end)) {
                Optional<QuorumEvent> next = votequorum.nextEvent(Duration.ofMillis(50));
                if (next.isPresent() && next.get() instanceof QuorumEvent.MembershipChanged m) {
                    ring = m.ring();
                    nextPoll = Instant.now();
                }
                if (ring != null && !Instant.now().isBefore(nextPoll)) {
                    ObjectNode poll = JSON.createObjectNode()
                            .put("type", "poll")
                            .put("ring", ring.toString())
                            .put("cast", cast);
                    try {
                        votequorum.qdevicePoll(name, cast, ring);
                        poll.put("ok", true);
                    } catch (CorosyncException e) {
                        poll.setAll(error(e));
                    }
                    print(poll.set("info", info(votequorum.localInfo())));
                    nextPoll = Instant.now().plus(interval);
                }
            }
        }
    }

    /** Registers NAME, retrying while corosync says to try again; registered already is fine. */
    private static void register(Votequorum votequorum, String name) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                votequorum.qdeviceRegister(name);
                return;
            } catch (CorosyncException e) {
                if (e.error() != CsError.CS_ERR_TRY_AGAIN || attempt == 50) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** Connects again once corosync is back, trying every 200 ms until the end. */
    private static Votequorum reconnect(Instant end) throws InterruptedException {
        while (Instant.now().isBefore(end)) {
            try {
                return Votequorum.connect();
            } catch (CorosyncException e) {
                Thread.sleep(200);
            }
        }
        return null;
    }

    private static long cpu(Votequorum votequorum) {
        return votequorum
                .dispatchThread()
                .map(t -> ManagementFactory.getThreadMXBean().getThreadCpuTime(t.getId()))
                .filter(n -> n >= 0)
                .orElse(0L);
    }

    private static ObjectNode describe(QuorumEvent event) {
        ObjectNode node = JSON.createObjectNode();
        Instant at = event.received();
        node.put("receivedNanos", at.getEpochSecond() * 1_000_000_000L + at.getNano());
        if (event instanceof QuorumEvent.QuorumChanged q) {
            node.put("type", "quorum").put("quorate", q.quorate());
            ObjectNode states = node.putObject("nodes");
            q.nodes()
                    .forEach(n ->
                            states.put(String.valueOf(n.nodeId()), n.state().name()));
        } else if (event instanceof QuorumEvent.MembershipChanged m) {
            node.put("type", "membership").put("ring", m.ring().toString());
            m.members().forEach(node.putArray("members")::add);
        } else if (event instanceof QuorumEvent.ExpectedVotesChanged e) {
            node.put("type", "expected").put("expectedVotes", e.expectedVotes());
        } else if (event instanceof QuorumEvent.Disconnected d) {
            node.put("type", "disconnected").setAll(error(d.cause()));
        }
        return node;
    }

    private static ObjectNode info(QuorumInfo info) {
        ObjectNode node = JSON.createObjectNode()
                .put("nodeId", info.nodeId())
                .put("state", info.state().name())
                .put("votes", info.votes())
                .put("expectedVotes", info.expectedVotes())
                .put("highestExpected", info.highestExpected())
                .put("totalVotes", info.totalVotes())
                .put("quorum", info.quorum())
                .put("quorate", info.quorate());
        info.flags().stream().sorted().forEach(f -> node.withArray("flags").add(f.name()));
        return node;
    }

    private static ObjectNode error(CorosyncException e) {
        return JSON.createObjectNode()
                .put("error", e.error().name())
                .put("code", e.code())
                .put("call", e.call())
                .put("message", e.getMessage());
    }

    private static void print(ObjectNode node) throws Exception {
        System.out.println(JSON.writeValueAsString(node));
        System.out.flush();
    }
}
