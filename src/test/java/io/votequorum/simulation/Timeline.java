package io.votequorum.simulation;

import io.votequorum.model.ConfirmedFenceAction;
import io.votequorum.model.FencingMode;
import io.votequorum.model.NoQuorumAction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * One timeline: how the world starts, and the faults that happen to it, each at its second and for
 * its while. After the last fault everything heals, and a quiet tail follows in which healed nodes
 * must be let go. Drawn from a {@link Random} whose bits can be the raw choices jqwik shrinks, so a
 * failure shrinks towards fewer, shorter and simpler faults.
 */
record Timeline(World.Settings settings, List<Fault> faults) {

    /** When faults may start, after the cluster has formed and the operator has handed out its spec. */
    static final Duration WARM_UP = Duration.ofSeconds(30);
    /** Faults start and end within this; then everything heals. */
    static final Duration FAULTS = Duration.ofSeconds(210);
    /** After the heal: boot, rejoin, healthyDelay, and the operator's recheck, with room to spare. */
    static final Duration QUIET = Duration.ofSeconds(150);

    enum Kind {
        CUT,
        CUT_COROSYNC,
        CUT_API,
        CUT_LINK,
        FLAP,
        STATUS_WRITES_FAIL,
        AGENT_KILLED,
        COROSYNC_KILLED,
        OPERATOR_DOWN,
        API_DOWN,
        KUBELET_STOPPED,
        POWER_OFF,
        PACEMAKER_FENCE,
        CONFIRM_OFF,
        MODE,
        PAUSE,
        SELF_FENCE_AFTER,
        NO_QUORUM_ACTION,
        CONFIRMED_ACTION,
        POLICY_DELETED
    }

    /**
     * A fault at {@code at} (from the start) lasting {@code length}: {@code node} and {@code other} pick
     * machines, {@code variant} what kind of the fault (a mode, a value).
     */
    record Fault(Kind kind, Duration at, Duration length, int node, int other, int variant) {
        String describe() {
            return kind + " node" + node + (kind == Kind.CUT_LINK ? "-node" + other : "") + " for " + length.toSeconds()
                    + "s (" + variant + ")";
        }
    }

    /** The kind of cluster, for the figures: its size, and a quorum device, two_node or another cluster's Node. */
    String cluster() {
        return settings.nodes() + " nodes"
                + (settings.device() ? " and a Lease device" : "")
                + (settings.twoNode() ? " with two_node" : "")
                + (settings.foreign() ? ", one Node of another cluster" : "");
    }

    /**
     * The timeline of a seed. The seed is mixed first: {@link Random}'s first draws from consecutive
     * seeds are alike, and would give consecutive seeds the same settings.
     */
    static Timeline draw(long seed) {
        return draw(new Random(new SplittableRandom(seed).nextLong()));
    }

    static Timeline draw(Random random) {
        // One timeline in eight: two nodes, with a Lease as corosync's quorum device (clocks within its
        // 2 s margin) or with two_node.
        boolean twoNodes = random.nextInt(8) == 7;
        boolean device = twoNodes && random.nextBoolean();
        int nodes = twoNodes ? 2 : 3 + random.nextInt(3);
        List<Duration> skews = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            skews.add(
                    device
                            ? Duration.ofMillis(random.nextInt(2001) - 1000)
                            : Duration.ofMillis(random.nextInt(4001) - 2000));
        }
        FencingMode mode = switch (random.nextInt(10)) {
            case 8 -> FencingMode.DryRun;
            case 9 -> FencingMode.Disabled;
            default -> FencingMode.Enforce;
        };
        boolean selfFence = random.nextInt(5) != 4;
        boolean foreign = !twoNodes && random.nextInt(7) == 6;
        int count = 10 + random.nextInt(5);
        List<Fault> faults = new ArrayList<>();
        Kind[] kinds = Kind.values();
        for (int i = 0; i < count; i++) {
            // Weighted towards the faults of the network and the machines.
            int pick = random.nextInt(kinds.length + 6);
            Kind kind = pick < kinds.length ? kinds[pick] : kinds[pick - kinds.length];
            long at = random.nextInt((int) FAULTS.toSeconds() - 10) * 1000L + random.nextInt(1000);
            long length = 2000 + (long) random.nextInt(80) * 1000 + random.nextInt(1000);
            length = Math.min(length, FAULTS.toMillis() - at);
            int node = 1 + random.nextInt(nodes);
            int other = 1 + random.nextInt(nodes);
            faults.add(new Fault(
                    kind, Duration.ofMillis(at), Duration.ofMillis(length), node, other, random.nextInt(1 << 16)));
        }
        faults.sort((a, b) -> a.at().compareTo(b.at()));
        return new Timeline(
                new World.Settings(nodes, skews, mode, selfFence, foreign, device, twoNodes && !device), faults);
    }

    /** Runs the timeline and returns the world at its end, with its story and violations. */
    World run() {
        World world = new World(
                settings,
                faults.stream()
                        .mapToLong(f -> f.at().toMillis() * 31 + f.variant())
                        .sum());
        Instant start = World.START.plus(WARM_UP);
        for (Fault fault : faults) {
            world.time.at(start.plus(fault.at()), () -> begin(world, fault));
        }
        world.time.at(start.plus(FAULTS), world::healAll);
        world.time.runUntil(start.plus(FAULTS).plus(QUIET));
        world.checkHealed();
        return world;
    }

    private static void begin(World world, Fault fault) {
        World.Machine m = world.machine(Math.min(fault.node(), world.machines.size()));
        World.Machine other = world.machine(Math.min(fault.other(), world.machines.size()));
        Runnable end = () -> {};
        world.count(fault.kind().name());
        switch (fault.kind()) {
            case CUT -> {
                world.story.fault(world.now(), "cut " + m.name + " off (corosync and the API server)");
                m.corosyncCut++;
                m.apiCut++;
                world.topologyChanged();
                end = () -> heal(world, m, true, true);
            }
            case CUT_COROSYNC -> {
                world.story.fault(world.now(), "cut " + m.name + "'s corosync link");
                m.corosyncCut++;
                world.topologyChanged();
                end = () -> heal(world, m, true, false);
            }
            case CUT_API -> {
                world.story.fault(world.now(), "cut " + m.name + " off the API server");
                m.apiCut++;
                end = () -> heal(world, m, false, true);
            }
            case CUT_LINK -> {
                if (m == other) {
                    return;
                }
                String link = World.link(m.id, other.id);
                world.story.fault(world.now(), "drop corosync traffic between " + m.name + " and " + other.name);
                world.api.cutLinks.add(link);
                world.topologyChanged();
                end = () -> {
                    world.api.cutLinks.remove(link);
                    world.story.fault(world.now(), "traffic between " + m.name + " and " + other.name + " flows again");
                    world.topologyChanged();
                };
            }
            case FLAP -> {
                // Cut, back for less than healthyDelay, cut again.
                long back = 5 + fault.variant() % 20;
                world.story.fault(world.now(), "flap " + m.name + ": cut, back after " + back + "s... ");
                m.corosyncCut++;
                m.apiCut++;
                world.topologyChanged();
                Duration first = fault.length().dividedBy(3);
                world.time.after(first, () -> heal(world, m, true, true));
                world.time.after(first.plusSeconds(back), () -> {
                    world.story.fault(world.now(), "...and cut " + m.name + " off again");
                    m.corosyncCut++;
                    m.apiCut++;
                    world.topologyChanged();
                });
                end = () -> heal(world, m, true, true);
            }
            case STATUS_WRITES_FAIL -> {
                world.story.fault(world.now(), m.name + "'s status writes fail (its heartbeat still could renew)");
                m.statusWritesFail++;
                end = () -> {
                    m.statusWritesFail--;
                    world.story.fault(world.now(), m.name + "'s status writes succeed again");
                };
            }
            case AGENT_KILLED -> {
                world.story.fault(world.now(), m.name + "'s agent is killed");
                m.agentKilled++;
                world.killAgent(m);
                end = () -> {
                    m.agentKilled--;
                    world.story.fault(world.now(), m.name + "'s agent starts again");
                    world.startAgent(m);
                };
            }
            case COROSYNC_KILLED -> {
                world.story.fault(world.now(), m.name + "'s corosync is killed");
                world.killCorosync(m);
                end = () -> {
                    if (m.on && m.booted && !m.corosyncRunning) {
                        world.startCorosync(m);
                        world.story.fault(world.now(), m.name + "'s corosync starts again");
                    }
                };
            }
            case OPERATOR_DOWN -> {
                world.story.fault(world.now(), "no operator leads (a leader gap)");
                world.operatorStops();
                end = () -> {
                    world.story.fault(world.now(), "an operator leads again");
                    world.operatorResumes();
                };
            }
            case API_DOWN -> {
                world.story.fault(world.now(), "the API server is down");
                world.api.down++;
                world.api.up = false;
                end = () -> {
                    world.api.up = --world.api.down <= 0;
                    if (!world.api.up) {
                        return;
                    }
                    world.story.fault(world.now(), "the API server is back");
                    world.wake(World.INFORMER_LAG);
                };
            }
            case KUBELET_STOPPED -> {
                world.story.fault(world.now(), m.name + "'s kubelet stops");
                m.kubeletStopped++;
                end = () -> {
                    m.kubeletStopped = Math.max(0, m.kubeletStopped - 1);
                    world.story.fault(world.now(), m.name + "'s kubelet starts again");
                };
            }
            case POWER_OFF -> {
                world.story.fault(world.now(), m.name + " loses power");
                world.powerOff(m, "power lost");
                end = () -> world.powerOn(m);
            }
            case PACEMAKER_FENCE -> world.pacemakerFence(m, fault.variant() % 3 != 0);
            case CONFIRM_OFF -> world.confirmOff(m);
            case MODE -> {
                FencingMode mode = FencingMode.values()[fault.variant() % 3];
                world.editPolicy("mode " + mode, p -> p.getSpec().getFencing().setMode(mode));
            }
            case PAUSE -> {
                world.story.fault(world.now(), "the policy is paused");
                world.pause(true);
                end = () -> {
                    world.story.fault(world.now(), "a pause of the policy ends");
                    world.pause(false);
                };
            }
            case SELF_FENCE_AFTER -> {
                String after = List.of("20s", "30s", "45s").get(fault.variant() % 3);
                world.editPolicy(
                        "selfFenceAfter " + after, p -> p.getSpec().getFencing().setSelfFenceAfter(after));
            }
            case NO_QUORUM_ACTION -> {
                NoQuorumAction action = NoQuorumAction.values()[fault.variant() % 2];
                world.editPolicy(
                        "noQuorumAction " + action,
                        p -> p.getSpec().getFencing().setNoQuorumAction(action));
            }
            case CONFIRMED_ACTION -> {
                ConfirmedFenceAction action = ConfirmedFenceAction.values()[fault.variant() % 2];
                world.editPolicy(
                        "confirmedAction " + action,
                        p -> p.getSpec().getFencing().setConfirmedAction(action));
            }
            case POLICY_DELETED -> {
                world.story.fault(world.now(), "the policy is deleted");
                world.deletePolicy();
                end = () -> {
                    world.story.fault(world.now(), "the policy is created again");
                    world.recreatePolicy();
                };
            }
        }
        world.time.after(fault.length(), end);
    }

    private static void heal(World world, World.Machine m, boolean corosync, boolean api) {
        if (corosync) {
            m.corosyncCut = Math.max(0, m.corosyncCut - 1);
        }
        if (api) {
            m.apiCut = Math.max(0, m.apiCut - 1);
        }
        world.story.fault(
                world.now(),
                m.name + (m.corosyncCut == 0 && m.apiCut == 0 ? " is back on the network" : " is partly back"));
        world.topologyChanged();
    }
}
