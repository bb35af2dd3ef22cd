package io.votequorum.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.EnumSet;
import java.util.Set;

/**
 * The agent's watchdog, which backs self-fencing: while armed, the node stops feeding it at most
 * selfFenceAfter after corosync last confirmed quorum, and resets timeoutSeconds later, even if the
 * agent hangs or is killed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record WatchdogStatus(
        @JsonPropertyDescription("The watchdog device the agent feeds, such as /dev/watchdog.")
        String device,

        @JsonPropertyDescription("Seconds after the last feed at which the device resets the node.")
        Integer timeoutSeconds,

        @JsonPropertyDescription("Armed, Expiring, Expired, Disarmed or Unavailable.")
        WatchdogState state,

        @JsonPropertyDescription(
                "How long after corosync last confirmed quorum the agent stops feeding the device, as a duration.")
        String selfFenceAfter,

        @JsonPropertyDescription("While Expiring or Expired: when feeding stops (stopped).")
        String feedsUntil,

        @JsonPropertyDescription("Why the device is unavailable, or what the agent does next.")
        String message) {

    private static final Set<WatchdogState> BACKING =
            EnumSet.of(WatchdogState.Armed, WatchdogState.Expiring, WatchdogState.Expired);

    /** Whether this report lets the node count as self-fenced once the safe time has passed. */
    public boolean backsSelfFencing() {
        return state != null
                && BACKING.contains(state)
                && timeoutSeconds != null
                && timeoutSeconds > 0
                && selfFenceAfter != null;
    }
}
