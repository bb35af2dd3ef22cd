package io.votequorum.simulation;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.votequorum.agent.SimulatedAgent;
import io.votequorum.corosync.CorosyncConfig;
import io.votequorum.corosync.NodeState;
import io.votequorum.corosync.QuorumInfo;
import io.votequorum.corosync.QuorumSnapshot;
import io.votequorum.corosync.RingId;
import io.votequorum.corosync.VotequorumFlag;
import io.votequorum.device.LeaseVote;
import io.votequorum.model.FencingMode;
import io.votequorum.model.NoQuorumAction;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.QuorumStatusSpec;
import io.votequorum.model.QuorumStatusStatus;
import io.votequorum.model.Serialised;
import io.votequorum.model.VoteQuorumApi;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.operator.ClusterCache;
import io.votequorum.operator.NodeApi;
import io.votequorum.operator.Outside;
import io.votequorum.operator.PolicyEngine;
import io.votequorum.pacemaker.FenceEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The simulated world of one timeline, and its truth. Machines with power, clocks and networks; on
 * each, corosync (real memberships formed from the links that work, votequorum's arithmetic), a kubelet
 * running pods as processes, a watchdog device and the agent ({@link SimulatedAgent}: the production
 * loop). An API server holding the objects, Kubernetes' own controllers as far as fencing meets them
 * (node lifecycle, taint manager, pod GC, a StatefulSet, the scheduler), Pacemaker's fencing history,
 * and the operator: the production {@link PolicyEngine} against this store, with leader gaps. Only
 * the truth here knows which processes really run; the {@link Story} records what it saw.
 */
final class World {

    static final Instant START = Instant.parse("2026-06-01T00:00:00Z");
    static final String CLUSTER = "lab";
    static final String POLICY = "lab-policy";
    static final Duration DETECT = Duration.ofMillis(2500);
    static final Duration BOOT = Duration.ofSeconds(25);
    static final Duration INFORMER_LAG = Duration.ofMillis(100);
    static final Duration NODE_MONITOR_GRACE = Duration.ofSeconds(40);
    static final Duration STATUS_REPORT = Duration.ofMinutes(5);
    static final String DB = "db";
    static final int REPLICAS = 3;
    /** How stale the operator's view of corosync may be, when judging a new fence against the truth. */
    static final Duration LAG = Duration.ofMillis(1500);

    /**
     * How the world starts. {@code foreign}: the last corosync node has no Kubernetes Node, and another
     * cluster's Node carries its node id. {@code device}: a Lease is corosync's quorum device.
     * {@code twoNode}: corosync's two_node (and with it wait_for_all), where either half of a split is quorate.
     */
    record Settings(
            int nodes,
            List<Duration> skews,
            FencingMode mode,
            boolean selfFence,
            boolean foreign,
            boolean device,
            boolean twoNode) {

        Settings(int nodes, List<Duration> skews, FencingMode mode, boolean selfFence, boolean foreign) {
            this(nodes, skews, mode, selfFence, foreign, false, false);
        }
    }

    /** corosync.conf's quorum device, with the timings the CRD's description gives: timeout and sync_timeout 4 s. */
    static final Duration DEVICE_TIMEOUT = Duration.ofSeconds(4);

    static final Duration DEVICE_SYNC_TIMEOUT = Duration.ofSeconds(4);

    /** One machine and what runs on it. */
    final class Machine {
        final int id;
        final String name;
        final Duration skew;
        boolean on = true;
        boolean booted = true;
        int boots = 1;
        int powerCycles;
        Instant offSince;
        boolean corosyncRunning = true;
        /** Faults overlap: each counts how many hold it now. */
        int corosyncCut;

        int apiCut;
        int kubeletStopped;
        int statusWritesFail;
        int agentKilled;
        boolean hasKubernetesNode = true;
        SimulatedAgent agent;
        /** The watchdog device: open (counting) and when it resets the node, by the true clock. */
        boolean watchdogOpen;

        Instant watchdogExpires;
        Runnable watchdogTimer;
        /** The pods running here: name to uid. */
        final Map<String, String> processes = new TreeMap<>();

        Ring ring;
        /** corosync's quorate flag on this node: its ring's votes, and the quorum device's if it casts here. */
        boolean quorate;

        Instant quorateMemberSince;
        /** wait_for_all: whether this corosync has seen every node at once since it started. */
        boolean sawAll;

        /** The quorum device as this node's corosync holds it: registered, alive, its vote cast, its timer. */
        boolean deviceRegistered;

        boolean deviceAlive;
        boolean castVote;
        /**
         * votequorum's sync after a ring change, with a live device: it waits for the device's poll in
         * the new ring, sync_timeout at most. Meanwhile the membership has reached the agent and the
         * quorate flag has not moved; corosync counts the node in no quorate partition yet.
         */
        boolean syncing;

        /** When a node quorate before the sync became a member of a quorate ring: it still is, if the sync ends quorate. */
        Instant sinceBeforeSync;

        Runnable deviceTimer;
        Instant lastKubeletPost = START;
        /** When the operator's informer hears of this node's last status write. */
        Instant lastHeard;

        Machine(int id, Duration skew) {
            this.id = id;
            this.name = "node" + id;
            this.skew = skew;
        }

        Clock clock() {
            return time.clock(skew);
        }

        boolean reachesApi() {
            return on && booted && apiCut == 0 && api.up;
        }

        boolean kubeletRunning() {
            return on && booted && kubeletStopped == 0 && hasKubernetesNode;
        }
    }

    record Ring(RingId id, Set<Integer> members) {}

    final VirtualTime time = new VirtualTime(START);
    final Story story = new Story(START);
    final Settings settings;
    final List<Machine> machines = new ArrayList<>();
    final Api api = new Api();
    final List<FenceEvent> pacemakerHistory = new ArrayList<>();
    private long ringSeq = 4;
    private Runnable pendingReform;
    private long uids;
    // The operator.
    boolean operatorRunning = true;
    private PolicyEngine engine;
    private Runnable scheduledPass;
    private Instant scheduledPassAt;
    long passes;
    long forces;
    long fences;
    long unfences;
    final Map<String, Integer> faultCounts = new TreeMap<>();

    /** How late the operator's informer hears of a status write (0 to 200 ms): drawn from the timeline's own seed. */
    private final Random latency;

    /** The QuorumStatuses as the operator's informer has them. */
    private final Map<String, QuorumStatus> operatorSees = new TreeMap<>();

    World(Settings settings) {
        this(settings, 0);
    }

    World(Settings settings, long seed) {
        this.settings = settings;
        this.latency = new Random(seed);
        for (int i = 1; i <= settings.nodes(); i++) {
            machines.add(new Machine(i, settings.skews().get(i - 1)));
        }
        if (settings.foreign()) {
            Machine last = machines.get(machines.size() - 1);
            last.hasKubernetesNode = false;
        }
        engine = newEngine();
        api.policy = policy(settings);
        for (Machine m : machines) {
            if (m.hasKubernetesNode) {
                api.nodes.put(m.name, kubernetesNode(m.name, Map.of()));
                api.nodes
                        .get(m.name)
                        .getStatus()
                        .setNodeInfo(new NodeSystemInfoBuilder()
                                .withBootID(m.name + "-boot1")
                                .build());
            }
        }
        if (settings.foreign()) {
            // A Node of another corosync cluster, whose agent is not running: only a node-id label.
            Map<String, String> labels = Map.of(VoteQuorumApi.NODE_ID_LABEL, String.valueOf(settings.nodes()));
            api.nodes.put("other-node" + settings.nodes(), kubernetesNode("other-node" + settings.nodes(), labels));
            api.foreignRunning.put("other-node" + settings.nodes(), true);
        }
        for (Machine m : machines) {
            startAgent(m);
        }
        reform();
        time.after(Duration.ofSeconds(1), this::controllers);
        for (Machine m : machines) {
            time.after(Duration.ofMillis(500L * m.id), () -> kubeletTick(m));
        }
        wake(Duration.ofSeconds(1));
    }

    private PolicyEngine newEngine() {
        return new PolicyEngine(new SimOutside(), new SimpleMeterRegistry(), time.clock(Duration.ZERO));
    }

    static VoteQuorumPolicy policy(Settings settings) {
        VoteQuorumPolicy policy = new VoteQuorumPolicy();
        policy.setMetadata(new ObjectMetaBuilder()
                .withName(POLICY)
                .withGeneration(1L)
                .withCreationTimestamp("2026-06-01T00:00:00Z")
                .withUid("policy-uid")
                .build());
        policy.getSpec().setClusterName(CLUSTER);
        policy.getSpec().getFencing().setMode(settings.mode());
        policy.getSpec().getFencing().setMaxFencedNodes(2);
        if (settings.selfFence()) {
            policy.getSpec().getFencing().setNoQuorumAction(NoQuorumAction.SelfFence);
        }
        if (settings.device()) {
            policy.getSpec().getQuorumDevice().setEnabled(true);
            policy.getSpec().getQuorumDevice().setLeaseDuration("16s");
            policy.getSpec().getQuorumDevice().setRenewInterval("2s");
            policy.getSpec().getQuorumDevice().setClockSkewMargin("2s");
        }
        policy.setStatus(null);
        return policy;
    }

    private static Node kubernetesNode(String name, Map<String, String> labels) {
        return new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(new LinkedHashMap<>(labels))
                .withAnnotations(new LinkedHashMap<>())
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .withNewStatus()
                .addToConditions(ready("True", START))
                .endStatus()
                .build();
    }

    private static NodeCondition ready(String status, Instant heartbeat) {
        return new NodeConditionBuilder()
                .withType("Ready")
                .withStatus(status)
                .withLastHeartbeatTime(heartbeat.toString())
                .build();
    }

    Machine machine(int id) {
        return machines.get(id - 1);
    }

    Instant now() {
        return time.now();
    }

    void count(String fault) {
        faultCounts.merge(fault, 1, Integer::sum);
    }

    // ---------------------------------------------------------------- corosync

    /** A link, a process or a machine changed: corosync notices after token + consensus, if it lasts. */
    void topologyChanged() {
        if (pendingReform == null) {
            pendingReform = time.after(DETECT, () -> {
                pendingReform = null;
                reform();
            });
        }
    }

    /** corosync's process ends: the node is in no ring, its agent loses it at once. */
    void killCorosync(Machine m) {
        m.corosyncRunning = false;
        m.ring = null;
        m.quorate = false;
        m.sawAll = false;
        m.quorateMemberSince = null;
        clearDevice(m);
        if (m.agent != null) {
            m.agent.unreachable("corosync is not running");
        }
        topologyChanged();
    }

    /** corosync starts on the machine: it has no ring until it joins one, a new one. */
    void startCorosync(Machine m) {
        m.corosyncRunning = true;
        m.ring = null;
        m.quorate = false;
        m.sawAll = false;
        m.quorateMemberSince = null;
        clearDevice(m);
        topologyChanged();
    }

    int expectedVotes() {
        return machines.size() + (settings.device() ? 1 : 0);
    }

    int quorum() {
        return settings.twoNode() ? 1 : expectedVotes() / 2 + 1;
    }

    /**
     * votequorum's arithmetic on one node: its ring's votes, plus the device's if the device casts on
     * this node; with two_node, one vote once wait_for_all has seen both nodes.
     */
    private boolean computeQuorate(Machine m) {
        return m.ring != null
                && (!settings.twoNode() || m.sawAll)
                && m.ring.members().size() + (m.castVote ? 1 : 0) >= quorum();
    }

    /**
     * Recomputes the node's quorate flag (not while votequorum's sync waits for the device); a change
     * reaches its agent, and the truth: when it became a member of a quorate ring, and whether two
     * nodes in different rings are quorate at once. Returns whether the flag changed.
     */
    private boolean requorate(Machine m) {
        if (m.syncing) {
            return false;
        }
        boolean next = corosyncAlive(m) && computeQuorate(m);
        boolean changed = next != m.quorate;
        m.quorate = next;
        if (!next) {
            m.quorateMemberSince = null;
        } else if (m.quorateMemberSince == null) {
            // Quorate before the sync and after it: a member of the quorate partition all along.
            m.quorateMemberSince = m.sinceBeforeSync != null && !changed ? m.sinceBeforeSync : now();
        }
        m.sinceBeforeSync = null;
        if (changed) {
            viewChanged(m);
        }
        if (!reforming) {
            checkPartitions();
        }
        return changed;
    }

    private boolean reforming;

    /** Never two partitions quorate at once: nodes quorate in different rings (two_node allows it, and leaves it to fencing). */
    private void checkPartitions() {
        if (settings.twoNode()) {
            return;
        }
        List<String> quorate = machines.stream()
                .filter(x -> x.quorate && !x.syncing && x.ring != null)
                .map(x -> x.ring.id().toString())
                .distinct()
                .toList();
        if (quorate.size() > 1) {
            story.violation(
                    now(),
                    "rings " + quorate + " are quorate at once: "
                            + machines.stream()
                                    .filter(x -> x.quorate && !x.syncing)
                                    .map(x -> x.name + " in " + x.ring.id())
                                    .collect(Collectors.joining(", ")));
        }
    }

    private boolean corosyncAlive(Machine m) {
        return m.on && m.booted && m.corosyncRunning;
    }

    private boolean linked(Machine a, Machine b) {
        return corosyncAlive(a)
                && corosyncAlive(b)
                && a.corosyncCut == 0
                && b.corosyncCut == 0
                && !api.cutLinks.contains(link(a.id, b.id));
    }

    static String link(int a, int b) {
        return Math.min(a, b) + "-" + Math.max(a, b);
    }

    /**
     * The memberships totem settles on: each node in one ring, every member reaching every other
     * (with partial links, the lowest ids first). A group unchanged keeps its ring id; a new one gets a
     * higher sequence number, as ring ids only grow.
     */
    private void reform() {
        reforming = true;
        try {
            regroup();
        } finally {
            reforming = false;
        }
        checkPartitions();
    }

    private void regroup() {
        List<Machine> alive = machines.stream().filter(this::corosyncAlive).toList();
        List<Set<Integer>> groups = new ArrayList<>();
        Set<Integer> placed = new TreeSet<>();
        for (Machine m : alive) {
            if (placed.contains(m.id)) {
                continue;
            }
            Set<Integer> group = new TreeSet<>(List.of(m.id));
            for (Machine other : alive) {
                if (!placed.contains(other.id)
                        && !group.contains(other.id)
                        && group.stream().allMatch(g -> linked(machine(g), other))) {
                    group.add(other.id);
                }
            }
            placed.addAll(group);
            groups.add(group);
        }
        for (Set<Integer> group : groups) {
            Ring current = machine(group.iterator().next()).ring;
            boolean same = current != null
                    && current.members().equals(group)
                    && group.stream().allMatch(g -> machine(g).ring == current);
            if (same) {
                continue;
            }
            Ring ring = new Ring(new RingId(group.iterator().next(), ringSeq += 4), group);
            story.truth(
                    now(),
                    "corosync forms ring " + ring.id() + " of " + group
                            + (settings.twoNode()
                                    ? ", two_node"
                                    : group.size() >= quorum() ? ", quorate" : ", not quorate without the device"));
            for (int id : group) {
                Machine m = machine(id);
                m.ring = ring;
                m.sawAll |= group.size() == machines.size();
                if (m.deviceRegistered && m.deviceAlive) {
                    // votequorum's sync waits for the device's poll in this ring, and its vote, cast or
                    // not, stands meanwhile: sync_timeout replaces whatever was left of its timeout.
                    m.syncing = true;
                    m.sinceBeforeSync = m.quorate ? m.quorateMemberSince : null;
                    m.quorateMemberSince = null;
                    armDevice(m, DEVICE_SYNC_TIMEOUT);
                    viewChanged(m);
                } else if (!requorate(m)) {
                    viewChanged(m);
                }
            }
        }
        for (Machine m : machines) {
            if (!corosyncAlive(m) && m.ring != null) {
                m.ring = null;
                m.quorate = false;
                m.quorateMemberSince = null;
            }
        }
    }

    /** The agent hears of it after the dispatch thread's coalescing. */
    private void viewChanged(Machine m) {
        SimulatedAgent agent = m.agent;
        if (agent == null) {
            return;
        }
        time.after(Duration.ofMillis(10), () -> {
            if (m.agent == agent && agent.alive()) {
                deliverView(m);
            }
        });
    }

    private void deliverView(Machine m) {
        if (corosyncAlive(m) && m.ring != null) {
            m.agent.viewed(snapshot(m));
        } else {
            m.agent.unreachable("corosync is not running");
        }
    }

    private QuorumSnapshot snapshot(Machine m) {
        Ring ring = m.ring;
        List<CorosyncConfig.NodeEntry> entries = machines.stream()
                .map(x -> new CorosyncConfig.NodeEntry(x.id, Optional.of(x.name), List.of("10.0.0." + x.id)))
                .toList();
        CorosyncConfig config = new CorosyncConfig(
                CLUSTER,
                m.id,
                entries,
                1000,
                1200,
                new CorosyncConfig.QuorumOptions(
                        "corosync_votequorum",
                        settings.twoNode(),
                        settings.twoNode(),
                        false,
                        false,
                        settings.device()
                                ? Map.of(
                                        "device.model",
                                        "kubernetes-lease",
                                        "device.votes",
                                        "1",
                                        "device.timeout",
                                        String.valueOf(DEVICE_TIMEOUT.toMillis()),
                                        "device.sync_timeout",
                                        String.valueOf(DEVICE_SYNC_TIMEOUT.toMillis()))
                                : Map.of()));
        Set<VotequorumFlag> flags = new java.util.HashSet<>();
        if (m.quorate) {
            flags.add(VotequorumFlag.QUORATE);
        }
        if (settings.twoNode()) {
            flags.add(VotequorumFlag.TWO_NODE);
            flags.add(VotequorumFlag.WAIT_FOR_ALL);
        }
        if (m.deviceRegistered) {
            flags.add(VotequorumFlag.QDEVICE_REGISTERED);
        }
        if (m.deviceAlive) {
            flags.add(VotequorumFlag.QDEVICE_ALIVE);
        }
        if (m.castVote) {
            flags.add(VotequorumFlag.QDEVICE_CAST_VOTE);
        }
        QuorumInfo local = new QuorumInfo(
                m.id,
                NodeState.MEMBER,
                1,
                expectedVotes(),
                expectedVotes(),
                ring.members().size() + (m.castVote ? 1 : 0),
                quorum(),
                flags,
                settings.device() ? 1 : 0,
                m.deviceRegistered ? Optional.of("votequorum-lease") : Optional.empty());
        List<QuorumSnapshot.Node> nodes = machines.stream()
                .map(x -> new QuorumSnapshot.Node(
                        x.id,
                        Optional.of(x.name),
                        1,
                        ring.members().contains(x.id) ? NodeState.MEMBER : NodeState.DEAD))
                .toList();
        return new QuorumSnapshot(config, m.quorate, Optional.of(ring.id()), local, nodes);
    }

    // ---------------------------------------------------------------- the quorum device

    /** The device's timer on this node: when it fires, the device is no longer alive and its vote lapses. */
    private void armDevice(Machine m, Duration after) {
        if (m.deviceTimer != null) {
            m.deviceTimer.run();
        }
        m.deviceTimer = time.after(after, () -> {
            m.deviceTimer = null;
            boolean synced = m.syncing;
            m.syncing = false;
            m.deviceAlive = false;
            if (m.castVote) {
                m.castVote = false;
                story.truth(now(), m.name + "'s device vote lapses");
            }
            if (!requorate(m) && synced) {
                viewChanged(m);
            }
        });
    }

    private void clearDevice(Machine m) {
        if (m.deviceTimer != null) {
            m.deviceTimer.run();
            m.deviceTimer = null;
        }
        m.deviceRegistered = false;
        m.deviceAlive = false;
        m.castVote = false;
        m.syncing = false;
    }

    /**
     * votequorum_qdevice_poll on this node: with the current ring id the vote is cast or withdrawn at
     * once and the device's timer restarts; with another, corosync ignores the poll.
     */
    Optional<String> pollDevice(Machine m, boolean cast, RingId ring) {
        if (!corosyncAlive(m) || m.ring == null) {
            return Optional.of("corosync is not running");
        }
        m.deviceRegistered = true;
        if (!m.ring.id().equals(ring)) {
            return Optional.of("CS_ERR_MESSAGE_ERROR: ring " + ring + " is not the current one");
        }
        boolean before = m.castVote;
        boolean synced = m.syncing;
        m.deviceAlive = true;
        m.castVote = cast;
        m.syncing = false;
        armDevice(m, DEVICE_TIMEOUT);
        if (before != cast) {
            story.truth(now(), m.name + (cast ? " casts the device vote" : " withdraws the device vote"));
        }
        if (!requorate(m) && synced) {
            viewChanged(m);
        }
        return Optional.empty();
    }

    /** votequorum_qdevice_unregister: the vote goes at once, whatever the ring. */
    void unregisterDevice(Machine m) {
        boolean cast = m.castVote;
        boolean synced = m.syncing;
        clearDevice(m);
        if (cast) {
            story.truth(now(), m.name + " unregisters the device: its vote goes");
        }
        if (!requorate(m) && synced) {
            viewChanged(m);
        }
    }

    /** The Lease the device follows, as the API server holds it. */
    final class DeviceLease {
        boolean exists;
        Optional<String> holder = Optional.empty();
        Optional<Instant> renewTime = Optional.empty();
        long version;
        final Map<Integer, SimulatedAgent> followers = new TreeMap<>();

        LeaseVote.Seen seenBy(SimulatedAgent agent) {
            return new LeaseVote.Seen(holder, renewTime, String.valueOf(version), agent.localNow());
        }

        void tell(Machine m, SimulatedAgent agent) {
            time.after(INFORMER_LAG, () -> {
                if (agent.alive() && m.agent == agent && m.reachesApi() && followers.get(m.id) == agent) {
                    agent.leaseSeen(exists ? Optional.of(seenBy(agent)) : Optional.empty());
                }
            });
        }

        void changed() {
            followers.forEach((id, agent) -> tell(machine(id), agent));
        }

        /** A write, as the API server takes it or refuses it (the version it names is not the Lease's). */
        Optional<String> write(LeaseVote.Write write) {
            if (write instanceof LeaseVote.Create) {
                if (exists) {
                    return Optional.of("409 the Lease exists");
                }
                exists = true;
                holder = Optional.empty();
            } else {
                if (!exists || !write.version().equals(String.valueOf(version))) {
                    return Optional.of("409 the Lease has changed");
                }
                if (write instanceof LeaseVote.Acquire a) {
                    story.truth(now(), a.holder() + " takes the device's Lease");
                    holder = Optional.of(a.holder());
                } else {
                    holder = Optional.of(((LeaseVote.Renew) write).holder());
                }
            }
            renewTime = Optional.of(write.renewTime());
            version++;
            changed();
            return Optional.empty();
        }
    }

    final DeviceLease deviceLease = new DeviceLease();

    // ---------------------------------------------------------------- machines

    void powerOff(Machine m, String why) {
        if (!m.on) {
            return;
        }
        story.truth(
                now(), m.name + " powers off (" + why + ")" + (m.processes.isEmpty() ? "" : ", ending " + m.processes));
        m.on = false;
        m.booted = false;
        m.powerCycles++;
        m.quorate = false;
        m.sawAll = false;
        m.quorateMemberSince = null;
        clearDevice(m);
        m.offSince = now();
        m.processes.clear();
        if (m.agent != null) {
            m.agent.kill();
            m.agent = null;
        }
        m.watchdogOpen = false;
        if (m.watchdogTimer != null) {
            m.watchdogTimer.run();
            m.watchdogTimer = null;
        }
        topologyChanged();
    }

    void powerOn(Machine m) {
        if (m.on) {
            return;
        }
        m.on = true;
        story.truth(now(), m.name + " powers on; boots in " + BOOT.toSeconds() + "s");
        int cycle = m.powerCycles;
        time.after(BOOT, () -> {
            if (m.on && !m.booted && m.powerCycles == cycle) {
                m.booted = true;
                m.boots++;
                m.kubeletStopped = 0;
                m.corosyncRunning = true;
                m.ring = null;
                story.truth(now(), m.name + " is up: corosync starts, the kubelet starts");
                topologyChanged();
                kubeletSync(m);
                time.after(Duration.ofSeconds(2), () -> startAgent(m));
            }
        });
    }

    /** A reset: off now, and on again at once (the reboot), unless {@code stayOff}. */
    void reset(Machine m, String why, boolean stayOff) {
        powerOff(m, why);
        if (!stayOff) {
            powerOn(m);
        }
    }

    /** The agent's DaemonSet pod starts when the kubelet can run it. */
    void startAgent(Machine m) {
        if (!m.on || !m.booted || m.agentKilled > 0 || m.agent != null) {
            return;
        }
        if (m.hasKubernetesNode && (!m.kubeletRunning() || !m.reachesApi())) {
            time.after(Duration.ofSeconds(2), () -> startAgent(m));
            return;
        }
        if (!m.reachesApi()) {
            time.after(Duration.ofSeconds(2), () -> startAgent(m));
            return;
        }
        QuorumStatus existing = api.quorumStatuses.get(m.name);
        Optional<QuorumStatusStatus> resumed =
                existing == null ? Optional.empty() : Optional.ofNullable(existing.getStatus());
        SimulatedAgent agent = new SimulatedAgent(new Host(m), m.clock(), m.name, m.name + "-boot" + m.boots, resumed);
        m.agent = agent;
        deliverView(m);
        if (existing != null) {
            agent.spec(existing.getSpec(), existing.getMetadata().getGeneration(), m.name);
        }
    }

    void killAgent(Machine m) {
        if (m.agent != null) {
            m.agent.kill();
            m.agent = null;
        }
    }

    /** The machine's side of the agent: its corosync, its API access, its watchdog, its power. */
    private final class Host implements SimulatedAgent.Host {
        private final Machine m;

        Host(Machine m) {
            this.m = m;
        }

        private boolean mine() {
            return m.agent != null && m.on;
        }

        @Override
        public Runnable schedule(Duration delay, Runnable task) {
            return time.after(delay, task);
        }

        @Override
        public boolean writeStatus(QuorumStatusStatus status) {
            if (!mine() || !m.reachesApi() || m.statusWritesFail > 0) {
                return false;
            }
            QuorumStatus qs = api.quorumStatuses.computeIfAbsent(m.name, name -> {
                QuorumStatus created = new QuorumStatus();
                created.setMetadata(new ObjectMetaBuilder()
                        .withName(name)
                        .withGeneration(1L)
                        .build());
                created.setSpec(new QuorumStatusSpec());
                return created;
            });
            qs.setStatus(status);
            // The operator's informer hears of it a moment later, in order for one node but not across
            // nodes: two nodes' reports may reach the operator in either order.
            Instant heard = now().plusMillis(latency.nextInt(200));
            if (m.lastHeard != null && heard.isBefore(m.lastHeard)) {
                heard = m.lastHeard;
            }
            m.lastHeard = heard;
            time.at(heard, () -> {
                QuorumStatus seen = new QuorumStatus();
                seen.setMetadata(qs.getMetadata());
                seen.setSpec(qs.getSpec());
                seen.setStatus(status);
                operatorSees.put(m.name, seen);
                wake(INFORMER_LAG);
            });
            return true;
        }

        @Override
        public boolean renewLease(Instant renewTime, Duration duration) {
            if (!mine() || !m.reachesApi()) {
                return false;
            }
            Lease lease = api.heartbeats.get(m.name);
            boolean wasFresh = lease != null
                    && lease.getSpec()
                            .getRenewTime()
                            .toInstant()
                            .plusSeconds(10)
                            .isAfter(now());
            if (lease == null) {
                lease = new LeaseBuilder()
                        .withNewMetadata()
                        .withName(m.name)
                        .withNamespace("votequorum-system")
                        .endMetadata()
                        .withNewSpec()
                        .withHolderIdentity(m.name)
                        .endSpec()
                        .build();
                api.heartbeats.put(m.name, lease);
            }
            lease.getSpec().setLeaseDurationSeconds((int) duration.toSeconds());
            lease.getSpec().setRenewTime(renewTime.atZone(ZoneOffset.UTC));
            if (!wasFresh) {
                wake(INFORMER_LAG);
            }
            return true;
        }

        @Override
        public Optional<Boolean> quorate() {
            return corosyncAlive(m) && m.ring != null ? Optional.of(m.quorate) : Optional.empty();
        }

        @Override
        public void watchdogOpen(Duration timeout) {
            if (!m.watchdogOpen) {
                story.truth(now(), m.name + "'s watchdog armed");
            }
            m.watchdogOpen = true;
            watchdogFeed();
        }

        @Override
        public void watchdogFeed() {
            if (!m.watchdogOpen || !m.on) {
                return;
            }
            m.watchdogExpires = now().plus(Duration.ofSeconds(10));
            if (m.watchdogTimer != null) {
                m.watchdogTimer.run();
            }
            m.watchdogTimer = time.at(m.watchdogExpires, () -> {
                m.watchdogTimer = null;
                if (m.watchdogOpen && m.on) {
                    story.truth(now(), m.name + "'s watchdog fires");
                    reset(m, "watchdog", false);
                }
            });
        }

        @Override
        public void watchdogClose(boolean magic) {
            if (magic) {
                m.watchdogOpen = false;
                if (m.watchdogTimer != null) {
                    m.watchdogTimer.run();
                    m.watchdogTimer = null;
                }
                story.truth(now(), m.name + "'s watchdog disarmed");
            }
            // Closed without the magic close, the device keeps counting.
        }

        @Override
        public void selfFence() {
            if (mine()) {
                story.truth(now(), m.name + " fences itself");
                reset(m, "self-fence", false);
            }
        }

        @Override
        public List<FenceEvent> fencingHistory() {
            return List.copyOf(pacemakerHistory);
        }

        @Override
        public void followLease(Optional<String> name) {
            if (!mine()) {
                return;
            }
            if (name.isEmpty()) {
                deviceLease.followers.remove(m.id);
                return;
            }
            deviceLease.followers.put(m.id, m.agent);
            deviceLease.tell(m, m.agent);
        }

        @Override
        public Optional<LeaseVote.Seen> writeLease(LeaseVote.Write write) {
            if (!mine() || !m.reachesApi()) {
                return Optional.empty();
            }
            return deviceLease.write(write).isPresent() ? Optional.empty() : Optional.of(deviceLease.seenBy(m.agent));
        }

        @Override
        public Optional<String> pollDevice(boolean cast, RingId ring) {
            return mine() ? World.this.pollDevice(m, cast, ring) : Optional.of("the agent is gone");
        }

        @Override
        public void stopDevice() {
            if (mine()) {
                unregisterDevice(m);
            }
        }
    }

    // ---------------------------------------------------------------- Kubernetes

    /** The API server's objects. */
    final class Api {
        int down;
        boolean up = true;
        final List<String> cutLinks = new ArrayList<>();
        final Map<String, QuorumStatus> quorumStatuses = new TreeMap<>();
        final Map<String, Lease> heartbeats = new TreeMap<>();
        final Map<String, Node> nodes = new TreeMap<>();
        final Map<String, Pod> pods = new TreeMap<>();
        final Map<String, Boolean> foreignRunning = new TreeMap<>();
        VoteQuorumPolicy policy;
        boolean policyDeleting;
    }

    private void controllers() {
        if (api.up) {
            nodeLifecycle();
            taintManager();
            podGc();
            statefulSet();
            scheduler();
        }
        time.after(Duration.ofSeconds(1), this::controllers);
    }

    private void nodeLifecycle() {
        for (Node node : List.copyOf(api.nodes.values())) {
            NodeCondition ready = readyOf(node);
            if (ready != null
                    && !"Unknown".equals(ready.getStatus())
                    && !api.foreignRunning.containsKey(node.getMetadata().getName())
                    && lastPost(node.getMetadata().getName())
                            .plus(NODE_MONITOR_GRACE)
                            .isBefore(now())) {
                Node updated = new NodeBuilder(node).build();
                updated.getStatus().getConditions().removeIf(c -> "Ready".equals(c.getType()));
                updated.getStatus().getConditions().add(ready("Unknown", Instant.parse(ready.getLastHeartbeatTime())));
                api.nodes.put(node.getMetadata().getName(), updated);
                story.truth(now(), node.getMetadata().getName() + " turns NotReady (Unknown) in Kubernetes");
            }
        }
    }

    private Instant lastPost(String node) {
        return machines.stream()
                .filter(m -> m.name.equals(node))
                .findFirst()
                .map(m -> m.lastKubeletPost)
                .orElse(now());
    }

    static NodeCondition readyOf(Node node) {
        return node.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()))
                .findFirst()
                .orElse(null);
    }

    private static boolean tainted(Node node, String key, String effect) {
        return Optional.ofNullable(node.getSpec().getTaints()).orElse(List.of()).stream()
                .anyMatch(t -> t.getKey().equals(key) && (effect == null || effect.equals(t.getEffect())));
    }

    private void taintManager() {
        for (Pod pod : List.copyOf(api.pods.values())) {
            if (pod.getSpec().getNodeName() == null) {
                continue;
            }
            Node node = api.nodes.get(pod.getSpec().getNodeName());
            if (node != null
                    && pod.getMetadata().getDeletionTimestamp() == null
                    && Optional.ofNullable(node.getSpec().getTaints()).orElse(List.of()).stream()
                            .anyMatch(t -> "NoExecute".equals(t.getEffect()))) {
                pod.getMetadata().setDeletionTimestamp(now().toString());
                story.truth(
                        now(),
                        "taint manager deletes pod " + pod.getMetadata().getName() + " on "
                                + pod.getSpec().getNodeName());
            }
        }
    }

    /** Terminating pods on an out-of-service Node that is not Ready: force-deleted. */
    private void podGc() {
        for (Pod pod : List.copyOf(api.pods.values())) {
            if (pod.getSpec().getNodeName() == null) {
                continue;
            }
            Node node = api.nodes.get(pod.getSpec().getNodeName());
            if (node != null
                    && pod.getMetadata().getDeletionTimestamp() != null
                    && tainted(node, "node.kubernetes.io/out-of-service", "NoExecute")
                    && !"True".equals(readyOf(node).getStatus())) {
                forceDeleted(pod, "pod GC, out-of-service Node");
            }
        }
    }

    private void forceDeleted(Pod pod, String by) {
        String name = pod.getMetadata().getName();
        String node = pod.getSpec().getNodeName();
        forces++;
        story.operator(now(), "forced deletion of pod " + name + " on " + node + " (" + by + ")");
        boolean runs = machines.stream()
                .anyMatch(m -> m.name.equals(node) && pod.getMetadata().getUid().equals(m.processes.get(name)));
        boolean wouldStart = machines.stream()
                .anyMatch(m -> m.name.equals(node)
                        && m.kubeletRunning()
                        && m.reachesApi()
                        && pod.getMetadata().getDeletionTimestamp() == null);
        if (runs || wouldStart || api.foreignRunning.containsKey(node)) {
            story.violation(
                    now(),
                    "forced deletion of pod " + name + " by " + by + " while " + node
                            + (runs ? " runs it" : " would start it"));
        }
        api.pods.remove(name);
    }

    private void statefulSet() {
        for (int i = 0; i < REPLICAS; i++) {
            String name = DB + "-" + i;
            if (!api.pods.containsKey(name)) {
                Pod pod = new PodBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace("shop")
                        .withUid("uid-" + (++uids))
                        .endMetadata()
                        .withNewSpec()
                        .endSpec()
                        .build();
                api.pods.put(name, pod);
            }
        }
    }

    private void scheduler() {
        for (Pod pod : api.pods.values()) {
            if (pod.getSpec().getNodeName() != null) {
                continue;
            }
            api.nodes.values().stream()
                    .filter(n -> !api.foreignRunning.containsKey(n.getMetadata().getName()))
                    .filter(n -> "True".equals(readyOf(n).getStatus()))
                    .filter(n -> !Boolean.TRUE.equals(n.getSpec().getUnschedulable()))
                    .filter(n -> Optional.ofNullable(n.getSpec().getTaints())
                            .orElse(List.of())
                            .isEmpty())
                    .min((a, b) -> Long.compare(
                            api.pods.values().stream()
                                    .filter(p -> a.getMetadata()
                                            .getName()
                                            .equals(p.getSpec().getNodeName()))
                                    .count(),
                            api.pods.values().stream()
                                    .filter(p -> b.getMetadata()
                                            .getName()
                                            .equals(p.getSpec().getNodeName()))
                                    .count()))
                    .ifPresent(n -> pod.getSpec().setNodeName(n.getMetadata().getName()));
        }
    }

    /** Every 2 s: the kubelet reports its Node when due, then makes its pods what the API server says. */
    private void kubeletTick(Machine m) {
        time.after(Duration.ofSeconds(2), () -> kubeletTick(m));
        kubeletSync(m);
    }

    private void kubeletSync(Machine m) {
        if (!m.kubeletRunning() || !m.reachesApi()) {
            return;
        }
        Node node = api.nodes.get(m.name);
        NodeCondition ready = readyOf(node);
        String boot = m.name + "-boot" + m.boots;
        boolean newBoot = node.getStatus().getNodeInfo() == null
                || !boot.equals(node.getStatus().getNodeInfo().getBootID());
        if (!"True".equals(ready.getStatus())
                || newBoot
                || m.lastKubeletPost.plus(STATUS_REPORT).isBefore(now())) {
            Node updated = new NodeBuilder(node).build();
            updated.getStatus().getConditions().removeIf(c -> "Ready".equals(c.getType()));
            updated.getStatus().getConditions().add(ready("True", m.clock().instant()));
            updated.getStatus()
                    .setNodeInfo(new NodeSystemInfoBuilder()
                            .withBootID(m.name + "-boot" + m.boots)
                            .build());
            api.nodes.put(m.name, updated);
            if (!"True".equals(ready.getStatus())) {
                story.truth(now(), m.name + "'s kubelet reports Ready");
            }
            wake(INFORMER_LAG);
        }
        m.lastKubeletPost = now();
        for (Pod pod : List.copyOf(api.pods.values())) {
            if (!m.name.equals(pod.getSpec().getNodeName())) {
                continue;
            }
            String name = pod.getMetadata().getName();
            String uid = pod.getMetadata().getUid();
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                if (m.processes.remove(name) != null) {
                    story.truth(now(), m.name + " stops pod " + name);
                }
                api.pods.remove(name);
            } else if (!uid.equals(m.processes.get(name))) {
                start(m, name, uid);
            }
        }
        m.processes.keySet().removeIf(name -> {
            Pod pod = api.pods.get(name);
            boolean gone = pod == null
                    || !m.name.equals(pod.getSpec().getNodeName())
                    || !pod.getMetadata().getUid().equals(m.processes.get(name));
            if (gone) {
                story.truth(now(), m.name + " stops pod " + name + " (deleted)");
            }
            return gone;
        });
    }

    private void start(Machine m, String pod, String uid) {
        for (Machine other : machines) {
            if (other != m && other.processes.containsKey(pod)) {
                story.violation(
                        now(),
                        "pod " + pod + " starts on " + m.name + " (" + uid + ") while " + other.name
                                + " still runs it (" + other.processes.get(pod) + ")");
            }
        }
        m.processes.put(pod, uid);
        story.truth(now(), m.name + " starts pod " + pod + " (" + uid + ")");
    }

    // ---------------------------------------------------------------- the operator

    /** An informer event: a pass soon, unless one is due sooner. */
    void wake(Duration delay) {
        Instant at = now().plus(delay);
        if (scheduledPassAt != null && !scheduledPassAt.isAfter(at)) {
            return;
        }
        if (scheduledPass != null) {
            scheduledPass.run();
        }
        scheduledPassAt = at;
        scheduledPass = time.at(at, this::pass);
    }

    private void pass() {
        scheduledPass = null;
        scheduledPassAt = null;
        if (!operatorRunning || !api.up || api.policy == null) {
            return;
        }
        passes++;
        VoteQuorumPolicy policy = api.policy;
        if (api.policyDeleting) {
            engine.release(policy, new SimCache());
            api.policy = null;
            api.policyDeleting = false;
            story.operator(now(), "policy deleted: released its nodes");
            for (Node node : api.nodes.values()) {
                if (node.getMetadata().getAnnotations().containsKey("votequorum.io/fencing")) {
                    story.violation(now(), node.getMetadata().getName() + " keeps a fence of the deleted policy");
                }
            }
            return;
        }
        PolicyEngine.Result result = engine.pass(policy, new SimCache());
        result.status().ifPresent(policy::setStatus);
        wake(result.nextLook());
    }

    int operatorDown;

    void operatorStops() {
        operatorDown++;
        operatorRunning = false;
    }

    void operatorResumes() {
        if (--operatorDown <= 0) {
            operatorDown = 0;
            operatorStarts();
        }
    }

    void operatorStarts() {
        operatorRunning = true;
        engine = newEngine();
        wake(Duration.ofSeconds(1));
    }

    /** The informers' caches: the API server's objects as they are now. */
    private final class SimCache implements ClusterCache {
        @Override
        public List<VoteQuorumPolicy> policiesOf(String cluster) {
            return api.policy != null && cluster.equals(api.policy.getSpec().getClusterName())
                    ? List.of(api.policy)
                    : List.of();
        }

        @Override
        public List<QuorumStatus> reportsOf(String cluster) {
            return operatorSees.values().stream()
                    .filter(q -> q.getStatus() != null
                            && cluster.equals(q.getStatus().getClusterName()))
                    .toList();
        }

        @Override
        public Optional<QuorumStatus> report(String node) {
            return Optional.ofNullable(operatorSees.get(node));
        }

        @Override
        public Optional<Lease> heartbeat(String node) {
            return Optional.ofNullable(api.heartbeats.get(node));
        }

        @Override
        public Optional<Node> node(String name) {
            return Optional.ofNullable(api.nodes.get(name));
        }

        @Override
        public List<Node> nodesLabelled(long corosyncId) {
            return api.nodes.values().stream()
                    .filter(n -> String.valueOf(corosyncId)
                            .equals(n.getMetadata().getLabels().get(VoteQuorumApi.NODE_ID_LABEL)))
                    .toList();
        }

        @Override
        public List<Node> nodesFencedBy(String cluster) {
            return api.nodes.values().stream()
                    .filter(n -> Optional.ofNullable(
                                    n.getMetadata().getAnnotations().get("votequorum.io/fencing"))
                            .filter(a -> a.contains("\"cluster\":\"" + cluster + "\""))
                            .isPresent())
                    .toList();
        }
    }

    /** The operator's calls to the API server, against the store; each write is judged against the truth. */
    private final class SimOutside implements Outside, NodeApi {
        @Override
        public NodeApi nodes() {
            return this;
        }

        @Override
        public void applySpec(QuorumStatus desired) {
            QuorumStatus qs = api.quorumStatuses.get(desired.getMetadata().getName());
            if (qs == null) {
                return;
            }
            if (!Objects.equals(qs.getSpec(), desired.getSpec())) {
                qs.setSpec(Serialised.copy(desired.getSpec(), QuorumStatusSpec.class));
                qs.getMetadata().setGeneration(qs.getMetadata().getGeneration() + 1);
                Optional.ofNullable(operatorSees.get(qs.getMetadata().getName()))
                        .ifPresent(seen -> seen.setSpec(qs.getSpec()));
                Machine m = machines.stream()
                        .filter(x -> x.name.equals(qs.getMetadata().getName()))
                        .findFirst()
                        .orElse(null);
                if (m != null && m.agent != null && m.reachesApi()) {
                    SimulatedAgent agent = m.agent;
                    QuorumStatusSpec spec = qs.getSpec();
                    Long generation = qs.getMetadata().getGeneration();
                    time.after(INFORMER_LAG, () -> {
                        if (m.agent == agent && agent.alive()) {
                            agent.spec(spec, generation, m.name);
                        }
                    });
                }
                wake(INFORMER_LAG);
            }
        }

        @Override
        public void event(HasMetadata about, String type, String reason, String message) {}

        @Override
        public Set<String> apiServerAddresses() {
            return Set.of("10.0.0.254");
        }

        @Override
        public Node edit(String name, UnaryOperator<Node> change) {
            Node before = api.nodes.get(name);
            if (before == null) {
                throw new IllegalStateException("Node " + name + " not found");
            }
            Node after = change.apply(new NodeBuilder(before).build());
            api.nodes.put(name, after);
            judge(name, before, after);
            wake(INFORMER_LAG);
            return after;
        }

        @Override
        public List<Pod> podsOn(String node) {
            return api.pods.values().stream()
                    .filter(p -> node.equals(p.getSpec().getNodeName()))
                    .map(p -> new PodBuilder(p).build())
                    .toList();
        }

        @Override
        public boolean evict(Pod pod) {
            Pod stored = api.pods.get(pod.getMetadata().getName());
            if (stored != null && stored.getMetadata().getDeletionTimestamp() == null) {
                stored.getMetadata().setDeletionTimestamp(now().toString());
                story.operator(
                        now(),
                        "evicts pod " + pod.getMetadata().getName() + " from "
                                + pod.getSpec().getNodeName());
            }
            return true;
        }

        @Override
        public void forceDelete(Pod pod) {
            Pod stored = api.pods.get(pod.getMetadata().getName());
            if (stored != null
                    && pod.getMetadata().getUid().equals(stored.getMetadata().getUid())) {
                forceDeleted(stored, "the operator");
            }
        }

        @Override
        public void detachVolumes(String node) {
            story.operator(
                    now(),
                    "deletes the VolumeAttachments of " + node + " "
                            + api.nodes.get(node).getMetadata().getAnnotations().get("votequorum.io/fencing")
                            + " ready "
                            + readyOf(api.nodes.get(node)));
            checkForce(node, "VolumeAttachments deleted");
        }

        @Override
        public void applyCondition(String node, NodeCondition condition) {
            Node stored = api.nodes.get(node);
            if (stored != null) {
                Node updated = new NodeBuilder(stored).build();
                updated.getStatus().getConditions().removeIf(c -> c.getType().equals(condition.getType()));
                updated.getStatus().getConditions().add(condition);
                api.nodes.put(node, updated);
            }
        }
    }

    // ---------------------------------------------------------------- judging the operator's writes

    private void judge(String name, Node before, Node after) {
        Map<String, String> was = before.getMetadata().getAnnotations();
        Map<String, String> is = after.getMetadata().getAnnotations();
        boolean recordBefore = was != null && was.containsKey("votequorum.io/fencing");
        boolean recordAfter = is != null && is.containsKey("votequorum.io/fencing");
        if (!recordBefore && recordAfter) {
            fences++;
            story.operator(now(), "fences " + name + " (cordon, NoSchedule)");
            checkNewFence(name);
        } else if (recordBefore && !recordAfter) {
            unfences++;
            story.operator(now(), "unfences " + name);
        }
        List<String> taintsBefore = taints(before);
        List<String> taintsAfter = taints(after);
        for (String taint : taintsAfter) {
            if (!taintsBefore.contains(taint)) {
                story.operator(now(), "taints " + name + " " + taint);
                if (taint.startsWith("node.kubernetes.io/out-of-service")) {
                    forces++;
                    checkForce(name, "out-of-service taint");
                }
            }
        }
        for (String taint : taintsBefore) {
            if (!taintsAfter.contains(taint)) {
                story.operator(now(), "removes taint " + taint + " from " + name);
            }
        }
    }

    private static List<String> taints(Node node) {
        return Optional.ofNullable(node.getSpec().getTaints()).orElse(List.of()).stream()
                .map(t -> t.getKey() + ":" + t.getEffect())
                .toList();
    }

    /**
     * A force (out-of-service taint, forced deletion) only while the node is truly off: none of its pods
     * runs, and none could start (a kubelet that reaches the API server starts the pods bound to it that
     * are not being deleted).
     */
    private void checkForce(String node, String what) {
        if (api.foreignRunning.containsKey(node)) {
            story.violation(now(), what + " on " + node + ", a running node of another cluster");
            return;
        }
        machines.stream()
                .filter(m -> m.name.equals(node))
                .findFirst()
                .filter(m -> m.booted
                        && (!m.processes.isEmpty()
                                || (m.kubeletRunning()
                                        && m.reachesApi()
                                        && api.pods.values().stream()
                                                .anyMatch(p -> node.equals(
                                                                p.getSpec().getNodeName())
                                                        && p.getMetadata().getDeletionTimestamp() == null))))
                .ifPresent(m -> story.violation(
                        now(),
                        what + " on " + node + " while it runs"
                                + (m.processes.isEmpty()
                                        ? " (its kubelet would start pods)"
                                        : " pods " + m.processes)));
    }

    /** No new fence of a node corosync has counted in its quorate partition for longer than the operator's lag. */
    private void checkNewFence(String node) {
        if (api.foreignRunning.containsKey(node)) {
            story.violation(now(), node + ", a node of another cluster, is fenced");
            return;
        }
        machines.stream()
                .filter(m -> m.name.equals(node))
                .findFirst()
                .filter(m -> m.quorateMemberSince != null && !m.quorateMemberSince.isAfter(now().minus(LAG)))
                .ifPresent(m -> story.violation(
                        now(),
                        node + " is newly fenced while a member of the quorate ring " + m.ring.id() + " since "
                                + story.stamp(m.quorateMemberSince)));
    }

    /**
     * At the end of a quiet tail: every node back in the quorate partition for healthyDelay and more is
     * unfenced (Enforce) or gone from fencedNodes (DryRun, Disabled), unless the policy is paused.
     */
    void checkHealed() {
        VoteQuorumPolicy policy = api.policy;
        boolean paused = policy != null
                && "true"
                        .equals(Optional.ofNullable(policy.getMetadata().getAnnotations())
                                .map(a -> a.get(VoteQuorumApi.PAUSED_ANNOTATION))
                                .orElse(null));
        if (paused) {
            return;
        }
        for (Machine m : machines) {
            if (m.quorateMemberSince == null
                    || m.quorateMemberSince.plus(Duration.ofSeconds(60)).isAfter(now())) {
                continue;
            }
            Node node = api.nodes.get(m.name);
            if (node != null && node.getMetadata().getAnnotations().containsKey("votequorum.io/fencing")) {
                story.violation(
                        now(),
                        m.name + " is a member of the quorate ring since " + story.stamp(m.quorateMemberSince)
                                + " and still fenced");
            }
            if (policy != null
                    && policy.getStatus() != null
                    && policy.getStatus().getFencedNodes().stream()
                            .anyMatch(f -> f.nodeName().equals(m.name))) {
                story.violation(
                        now(),
                        m.name + " is a member of the quorate ring since " + story.stamp(m.quorateMemberSince)
                                + " and still in fencedNodes");
            }
        }
    }

    // ---------------------------------------------------------------- policy edits

    void editPolicy(String what, java.util.function.Consumer<VoteQuorumPolicy> edit) {
        if (api.policy == null || api.policyDeleting) {
            return;
        }
        edit.accept(api.policy);
        api.policy.getMetadata().setGeneration(api.policy.getMetadata().getGeneration() + 1);
        story.fault(now(), "policy: " + what);
        wake(INFORMER_LAG);
    }

    void annotatePolicy(String key, String value) {
        if (api.policy == null) {
            return;
        }
        Map<String, String> annotations = new LinkedHashMap<>(
                Optional.ofNullable(api.policy.getMetadata().getAnnotations()).orElse(Map.of()));
        if (value == null) {
            annotations.remove(key);
        } else {
            annotations.put(key, value);
        }
        api.policy.getMetadata().setAnnotations(annotations);
        wake(INFORMER_LAG);
    }

    private int pauses;

    /** A pause begins or ends; overlapping pauses end with the last. */
    void pause(boolean begins) {
        pauses = Math.max(0, pauses + (begins ? 1 : -1));
        annotatePolicy(VoteQuorumApi.PAUSED_ANNOTATION, pauses > 0 ? "true" : null);
    }

    void deletePolicy() {
        if (api.policy != null) {
            api.policyDeleting = true;
            wake(INFORMER_LAG);
        }
    }

    void recreatePolicy() {
        if (api.policy == null && !api.policyDeleting) {
            api.policy = policy(settings);
            wake(INFORMER_LAG);
        }
    }

    void confirmOff(Machine m) {
        Node node = api.nodes.get(m.name);
        if (node == null || m.on) {
            return;
        }
        Node updated = new NodeBuilder(node).build();
        updated.getMetadata().getAnnotations().put(VoteQuorumApi.CONFIRMED_OFF_ANNOTATION, now().toString());
        api.nodes.put(m.name, updated);
        story.fault(now(), "an administrator confirms " + m.name + " off");
        wake(INFORMER_LAG);
    }

    /** Pacemaker's DC fences the node: it is off, then (a reboot) on again; the history says so. */
    void pacemakerFence(Machine m, boolean reboot) {
        Optional<Machine> dc = machines.stream()
                .filter(x -> x != m && x.ring != null && x.quorate && corosyncAlive(x))
                .findFirst();
        if (dc.isEmpty()) {
            return;
        }
        reset(m, "Pacemaker " + (reboot ? "reboot" : "off"), !reboot);
        Instant completed = dc.get().clock().instant();
        pacemakerHistory.add(new FenceEvent(
                m.name,
                reboot ? "reboot" : "off",
                FenceEvent.State.DONE,
                Optional.of(dc.get().name),
                Optional.of(dc.get().name),
                Optional.of("pacemaker-controld"),
                Optional.of(completed),
                Optional.empty()));
        story.fault(now(), "Pacemaker on " + dc.get().name + " fences " + m.name + (reboot ? " (reboot)" : " (off)"));
    }

    /** Everything back: links, API server, operator, agents, kubelets, machines. */
    void healAll() {
        api.cutLinks.clear();
        api.down = 0;
        api.up = true;
        if (!operatorRunning) {
            operatorDown = 0;
            operatorStarts();
        }
        for (Machine m : machines) {
            m.corosyncCut = 0;
            m.apiCut = 0;
            m.kubeletStopped = 0;
            m.statusWritesFail = 0;
            m.agentKilled = 0;
            if (!m.on) {
                powerOn(m);
            } else if (!m.corosyncRunning) {
                startCorosync(m);
            }
            startAgent(m);
        }
        topologyChanged();
        wake(INFORMER_LAG);
        story.fault(now(), "everything heals");
    }
}
