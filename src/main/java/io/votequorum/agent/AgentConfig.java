package io.votequorum.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The agent's settings (prefix {@code votequorum.agent}); each has an environment variable too. */
@ConfigMapping(prefix = "votequorum.agent")
public interface AgentConfig {

    /** This node's Kubernetes name, from NODE_NAME (downward API). Unset: the corosync node name. */
    Optional<String> nodeName();

    /** Namespace of the heartbeat Leases: the operator's namespace (POD_NAMESPACE). */
    @WithDefault("votequorum-system")
    String namespace();

    /** How long a heartbeat Lease stays valid without renewal. */
    @WithDefault("10s")
    Duration leaseDuration();

    /** How often the agent renews its Lease. */
    @WithDefault("2s")
    Duration renewInterval();

    /** After a callback, how long to wait for the rest of the burst before writing once. */
    @WithDefault("10ms")
    Duration coalesce();

    /** First and longest pause between retries (corosync reconnects, API writes, refused votes). */
    @WithDefault("200ms")
    Duration retryMin();

    @WithDefault("10s")
    Duration retryMax();

    /**
     * How this node fences itself when a policy's noQuorumAction is SelfFence: a command that must
     * exit 0 (comma-separated argv). Unset: an immediate reboot through /proc/sysrq-trigger. The agent
     * reads it as written, without expanding ${...} (see {@link SelfFenceAction#configured}).
     */
    Optional<List<String>> selfFenceCommand();

    /** How long the self-fence action may take; the reported deadline is this long after it starts. */
    @WithDefault("5s")
    Duration selfFenceTimeout();

    /**
     * The watchdog that backs self-fencing, opened only while the spec asks for self-fencing. A path
     * that is not a character device (a file or FIFO) stands in for one in tests.
     */
    @WithDefault("/dev/watchdog")
    String watchdogDevice();

    /** The watchdog timeout asked of the device (whole seconds); the driver may round it. */
    @WithDefault("10s")
    Duration watchdogTimeout();

    /**
     * Whose fencing history the agent reads while a node is outside its quorate partition, for the
     * operator to take as proof that the node is off: {@code pacemaker} (read where Pacemaker's fencer
     * answers, silently skipped where it does not) or {@code none}.
     */
    @WithDefault("pacemaker")
    FencingHistorySource fencingHistory();

    /** See {@link #fencingHistory()}. */
    enum FencingHistorySource {
        pacemaker,
        none
    }
}
