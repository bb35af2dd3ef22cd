package io.votequorum.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
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
}
