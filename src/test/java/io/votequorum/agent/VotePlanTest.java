package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.agent.VotePlan.Desired;
import io.votequorum.model.AppliedVotes;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VotePlanTest {

    private static Desired desired(Integer votes, Integer expected) {
        return new Desired(Optional.ofNullable(votes), Optional.ofNullable(expected), 5L);
    }

    @Test
    void nothingRequestedIsSettled() {
        VotePlan plan = VotePlan.decide(desired(null, null), Optional.of(AgentStatusTest.snapshot(true, 1, 1, 2, 3)));
        assertThat(plan).isInstanceOf(VotePlan.Settled.class);
        assertThat(((VotePlan.Settled) plan).outcome().reason()).isEqualTo("NothingRequested");
    }

    @Test
    void votesAreAppliedOnlyFromTheQuoratePartition() {
        VotePlan lost = VotePlan.decide(desired(2, null), Optional.of(AgentStatusTest.snapshot(false, 1, 1)));
        assertThat(lost).isInstanceOf(VotePlan.Wait.class);
        assertThat(((VotePlan.Wait) lost).outcome().reason()).isEqualTo("NotQuorate");

        VotePlan unreachable = VotePlan.decide(desired(2, null), Optional.empty());
        assertThat(((VotePlan.Wait) unreachable).outcome().reason()).isEqualTo("CorosyncUnreachable");
    }

    @Test
    void onlyTheValuesCorosyncDoesNotHaveYetAreCalled() {
        VotePlan plan = VotePlan.decide(desired(2, 3), Optional.of(AgentStatusTest.snapshot(true, 1, 1, 2, 3)));
        assertThat(plan).isEqualTo(new VotePlan.Apply(1, Optional.of(2), Optional.empty(), desired(2, 3)));
    }

    @Test
    void valuesCorosyncAlreadyHasAreReportedApplied() {
        VotePlan plan = VotePlan.decide(desired(1, 3), Optional.of(AgentStatusTest.snapshot(true, 1, 1, 2, 3)));
        assertThat(plan).isInstanceOf(VotePlan.Settled.class);
        VotePlan.Settled settled = (VotePlan.Settled) plan;
        assertThat(settled.outcome().reason()).isEqualTo("Applied");
        assertThat(settled.outcome().applied()).contains(new AppliedVotes(1, 3, 5L));
        assertThat(settled.outcome().message())
                .isEqualTo("corosync carries 1 votes for this node and 3 expected votes");
    }
}
