package io.votequorum.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The operator's settings (prefix {@code votequorum.operator}). */
@ConfigMapping(prefix = "votequorum.operator")
public interface OperatorConfig {

    /** Namespace of the agents' heartbeat Leases: the operator's own (POD_NAMESPACE). */
    @WithDefault("votequorum-system")
    String namespace();
}
