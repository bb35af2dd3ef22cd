package io.votequorum.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lines as corosync 3.1.7 wrote them while node3's link flapped and the others left node1 out. */
class CorosyncLogTest {

    private static final Instant NEAR = Instant.now();

    private static final String NODE2 = """
            Nov 26 22:07:52.677 [12068] vm corosync notice  [MAIN  ] Corosync Cluster Engine 3.1.7 starting up
            Nov 26 22:07:54.489 [12068] vm corosync notice  [QUORUM] This node is within the primary component and will provide service.
            Nov 26 22:07:54.489 [12068] vm corosync notice  [QUORUM] Members[4]: 1 2 3 4
            Nov 26 22:08:34.377 [12068] vm corosync notice  [TOTEM ] A new membership (2.a0) was formed. Members left: 1 3 4
            Nov 26 22:08:34.381 [12068] vm corosync notice  [QUORUM] This node is within the non-primary component and will NOT provide any services.
            Nov 26 22:08:34.381 [12068] vm corosync notice  [QUORUM] Members[1]: 2
            Nov 26 22:08:35.157 [12068] vm corosync notice  [QUORUM] Sync members[3]: 2 3 4
            Nov 26 22:08:35.157 [12068] vm corosync notice  [TOTEM ] A new membership (2.a4) was formed. Members joined: 3 4
            Nov 26 22:08:35.161 [12068] vm corosync notice  [QUORUM] This node is within the primary component and will provide service.
            Nov 26 22:08:35.161 [12068] vm corosync notice  [QUORUM] Members[3]: 2 3 4
            Nov 26 22:08:45.341 [12068] vm corosync notice  [TOTEM ] A new membership (1.b8) was formed. Members joined: 1
            Nov 26 22:08:45.345 [12068] vm corosync notice  [QUORUM] Members[4]: 1 2 3 4
            """;

    private static final String NODE1 = """
            Nov 26 22:08:37.909 [7411] vm corosync notice  [QUORUM] This node is within the non-primary component and will NOT provide any services.
            Nov 26 22:08:37.909 [7411] vm corosync notice  [QUORUM] Members[1]: 1
            Nov 26 22:08:45.345 [7411] vm corosync notice  [QUORUM] This node is within the primary component and will provide service.
            Nov 26 22:08:45.345 [7411] vm corosync notice  [QUORUM] Members[4]: 1 2 3 4
            """;

    @Test
    void readsEachMembershipWithWhetherItWasQuorate(@TempDir Path dir) throws IOException {
        List<CorosyncLog.Membership> m = CorosyncLog.memberships(write(dir, NODE2), 2, at("Nov 26 22:08:00.000"));

        assertThat(m)
                .extracting(CorosyncLog.Membership::members)
                .containsExactly(Set.of(2), Set.of(2, 3, 4), Set.of(1, 2, 3, 4));
        assertThat(m).extracting(CorosyncLog.Membership::quorate).containsExactly(false, true, true);
        assertThat(m.get(1).at()).isEqualTo(at("Nov 26 22:08:35.161"));
        assertThat(m).allMatch(x -> x.loggedBy() == 2);
    }

    @Test
    void aNodeIsExcludedWhileAnotherNodesQuorateMembershipLacksIt(@TempDir Path dir) throws IOException {
        Instant from = at("Nov 26 22:08:00.000");
        List<CorosyncLog.Membership> all = new ArrayList<>(CorosyncLog.memberships(write(dir, NODE1), 1, from));
        all.addAll(CorosyncLog.memberships(write(dir, NODE2), 2, from));
        Duration within = Duration.ofSeconds(20);

        assertThat(CorosyncLog.excluded(all, 1, at("Nov 26 22:08:35.100"), within))
                .as("before the membership")
                .isFalse();
        assertThat(CorosyncLog.excluded(all, 1, at("Nov 26 22:08:36.000"), within))
                .as("during it")
                .isTrue();
        assertThat(CorosyncLog.excluded(all, 1, at("Nov 26 22:09:05.000"), within))
                .as("20 s after it ended")
                .isTrue();
        assertThat(CorosyncLog.excluded(all, 1, at("Nov 26 22:09:05.400"), within))
                .as("later")
                .isFalse();
        assertThat(CorosyncLog.excluded(all, 3, at("Nov 26 22:08:40.000"), within))
                .as("a member")
                .isFalse();
        assertThat(CorosyncLog.excluded(all, 4, at("Nov 26 22:08:35.000"), within))
                .as("left out only by node2 " + "when it was not quorate")
                .isFalse();
    }

    private static Instant at(String stamp) {
        return CorosyncLog.time(stamp, NEAR);
    }

    private static Path write(Path dir, String text) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "corosync", ".log"), text);
    }
}
