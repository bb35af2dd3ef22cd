package io.votequorum.testenv;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The harness itself: real corosync nodes, a real partition, a real heal, nothing left behind. */
class CorosyncClusterIT {

    private static final Duration MEMBERSHIP_CHANGE = Duration.ofSeconds(30);
    /** A one-sided split settles slower: knet marks the link down, then totem re-forms around node 3. */
    private static final Duration ISOLATION = Duration.ofSeconds(90);

    @Test
    void cutAndHealANodeOfThree() throws Exception {
        try (CorosyncCluster cluster = CorosyncCluster.builder().nodes(3).clusterName("harness").start()) {
            for (int node = 1; node <= 3; node++) {
                String status = cluster.quorumtool(node);
                assertThat(status).as("node %d", node).containsPattern("Quorate:\\s+Yes")
                        .containsPattern("Nodes:\\s+3").containsPattern("Node ID:\\s+0*" + node);
            }
            assertThat(cluster.quorumtool(1, "-l")).contains("node1", "node2", "node3");

            cluster.cut(3);

            await().atMost(MEMBERSHIP_CHANGE).untilAsserted(() -> {
                assertThat(cluster.quorumtool(1)).containsPattern("Quorate:\\s+Yes").containsPattern("Nodes:\\s+2");
                assertThat(cluster.quorumtool(2)).containsPattern("Quorate:\\s+Yes").containsPattern("Nodes:\\s+2");
                assertThat(cluster.quorumtool(3)).containsPattern("Quorate:\\s+No").containsPattern("Nodes:\\s+1");
            });

            cluster.heal(3);

            await().atMost(MEMBERSHIP_CHANGE).untilAsserted(() -> {
                for (int node = 1; node <= 3; node++) {
                    assertThat(cluster.quorumtool(node)).as("node %d", node)
                            .containsPattern("Quorate:\\s+Yes").containsPattern("Nodes:\\s+3");
                }
            });
        }

        assertThat(run("ip", "netns", "list")).doesNotContain("vqcs");
        assertThat(run("ip", "-o", "link", "show")).doesNotContain("vqbr0").doesNotContain("vqv");
        assertThat(run("pgrep", "-a", "corosync")).isEmpty();
    }

    @Test
    void isolateSplitsTwoNodesOnly() {
        try (CorosyncCluster cluster = CorosyncCluster.builder().nodes(3).start()) {
            cluster.isolate(1, 2);

            // 1 and 2 cannot see each other; 3 still sees both, so some partition keeps quorum.
            await().atMost(ISOLATION).untilAsserted(() ->
                    assertThat(List.of(cluster.quorumtool(1), cluster.quorumtool(2)))
                            .anySatisfy(s -> assertThat(s).containsPattern("Nodes:\\s+[12]\\b")));

            cluster.heal(1);

            await().atMost(MEMBERSHIP_CHANGE).untilAsserted(() -> {
                for (int node = 1; node <= 3; node++) {
                    assertThat(cluster.quorumtool(node)).containsPattern("Nodes:\\s+3");
                }
            });
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(process.getInputStream().readAllBytes());
    }
}
