package io.votequorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoleTest {

    @Test
    void firstArgumentChoosesTheRoleAndTheRestGoesToIt() {
        Role.Selection s = Role.select(List.of("status", "-o", "json"), Optional.of("agent"), Map.of());

        assertThat(s.role()).isEqualTo(Role.status);
        assertThat(s.args()).containsExactly("-o", "json");
    }

    @Test
    void configurationChoosesTheRoleWhenNoArgumentDoes() {
        assertThat(Role.select(List.of(), Optional.of("operator"), Map.of()).role())
                .isEqualTo(Role.operator);
        assertThat(Role.select(List.of("--watch"), Optional.empty(), Map.of(Role.ENV, "Agent")))
                .isEqualTo(new Role.Selection(Role.agent, List.of("--watch")));
    }

    @Test
    void unknownRoleListsTheValidOnes() {
        assertThatThrownBy(() -> Role.select(List.of("fencer"), Optional.empty(), Map.of()))
                .isInstanceOf(Role.UnknownRoleException.class)
                .hasMessageContaining("unknown role 'fencer'")
                .hasMessageContaining("agent, operator, status");
    }

    @Test
    void missingRoleSaysHowToGiveOne() {
        assertThatThrownBy(() -> Role.select(List.of(), Optional.empty(), Map.of()))
                .hasMessageContaining("no role given")
                .hasMessageContaining(Role.ENV);
    }
}
