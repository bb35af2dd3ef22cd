package io.votequorum;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What the one artifact can be: the per-node agent, the operator, the node-side CLI, or the one-shot
 * cleanup before uninstalling.
 */
public enum Role {
    agent("streams this node's quorum state into its QuorumStatus"),
    operator("reconciles QuorumStatus and VoteQuorumPolicy, fences and unfences nodes"),
    status("prints this node's votequorum state, like corosync-quorumtool -s"),
    cleanup("removes from every Node what the operator added; run before uninstalling");

    /** Configuration key (system property) and environment variable that choose the role. */
    public static final String PROPERTY = "votequorum.role";

    public static final String ENV = "VOTEQUORUM_ROLE";

    private final String purpose;

    Role(String purpose) {
        this.purpose = purpose;
    }

    public String purpose() {
        return purpose;
    }

    /** The role and the arguments meant for it. */
    public record Selection(Role role, List<String> args) {}

    /**
     * Picks the role from the first argument, else from the {@value #PROPERTY} system property,
     * else from the {@value #ENV} environment variable.
     */
    public static Selection select(List<String> args, Optional<String> property, Map<String, String> env) {
        if (!args.isEmpty() && !args.get(0).startsWith("-")) {
            return new Selection(parse(args.get(0)), List.copyOf(args.subList(1, args.size())));
        }
        String configured = property.or(() -> Optional.ofNullable(env.get(ENV)))
                .orElseThrow(() -> new UnknownRoleException("no role given. " + usage()));
        return new Selection(parse(configured), List.copyOf(args));
    }

    static Role parse(String name) {
        try {
            return valueOf(name.trim().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UnknownRoleException("unknown role '" + name + "'. " + usage());
        }
    }

    public static String usage() {
        return "Valid roles: " + Arrays.stream(values()).map(Role::name).collect(Collectors.joining(", "))
                + ". Usage: votequorum-operator <role> [options], or set " + PROPERTY + " / " + ENV + ".\n"
                + Arrays.stream(values())
                        .map(r -> String.format("  %-9s %s", r.name(), r.purpose))
                        .collect(Collectors.joining("\n"));
    }

    /** The role argument or setting names no known role. */
    public static final class UnknownRoleException extends IllegalArgumentException {
        UnknownRoleException(String message) {
            super(message);
        }
    }
}
