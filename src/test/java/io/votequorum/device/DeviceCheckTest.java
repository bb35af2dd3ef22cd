package io.votequorum.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.device.DeviceCheck.NodeDevice;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What stops the Lease-backed device from running, each said so that the reader knows what to change. */
class DeviceCheckTest {

    private static final Duration LEASE = Duration.ofSeconds(15);
    private static final Duration RENEW = Duration.ofSeconds(2);
    private static final Duration SKEW = Duration.ofSeconds(2);

    private static NodeDevice declared(String node) {
        return new NodeDevice(node, false, Optional.of("kubernetes-lease"), 4000, 4000);
    }

    private static Optional<DeviceCheck.Problem> check(List<NodeDevice> nodes, Set<String> apiServerNodes) {
        return DeviceCheck.check("votequorum-device-edge", LEASE, RENEW, SKEW, nodes, apiServerNodes);
    }

    @Test
    void aClusterThatDeclaresTheDeviceWithTimingsItCanKeepPasses() {
        assertThat(check(List.of(declared("n1"), declared("n2")), Set.of())).isEmpty();
    }

    @Test
    void anApiServerOnTheClusterItWouldArbitrateIsRefused() {
        Set<String> on = DeviceCheck.apiServerNodes(
                Map.of("n1", Set.of("10.0.0.1"), "n2", Set.of("10.0.0.2")), Set.of("10.0.0.2", "192.168.1.9"));
        assertThat(on).containsExactly("n2");
        assertThat(check(List.of(declared("n1"), declared("n2")), on)).get().satisfies(p -> {
            assertThat(p.reason()).isEqualTo(DeviceCheck.CIRCULAR);
            assertThat(p.message()).startsWith("the API server runs on n2 of this corosync cluster");
        });
    }

    @Test
    void twoNodeAMissingDeclarationAndCorosyncsDefaultTimeoutsEachSayWhatToChange() {
        assertThat(check(List.of(declared("n1"), new NodeDevice("n2", true, Optional.of("m"), 4000, 4000)), Set.of()))
                .get()
                .satisfies(p -> {
                    assertThat(p.reason()).isEqualTo(DeviceCheck.TWO_NODE);
                    assertThat(p.message()).contains("two_node is on at n2", "remove two_node");
                });
        assertThat(check(List.of(declared("n1"), new NodeDevice("n2", false, Optional.empty(), 0, 0)), Set.of()))
                .get()
                .satisfies(p -> {
                    assertThat(p.reason()).isEqualTo(DeviceCheck.NOT_DECLARED);
                    assertThat(p.message()).contains("declares no quorum device at n2", "model: kubernetes-lease");
                });
        assertThat(check(
                        List.of(
                                declared("n1"),
                                new NodeDevice("n2", false, Optional.of("kubernetes-lease"), 10_000, 30_000)),
                        Set.of()))
                .get()
                .satisfies(p -> {
                    assertThat(p.reason()).isEqualTo(DeviceCheck.TIMINGS);
                    assertThat(p.message())
                            .startsWith("leaseDuration 15s is shorter than the 46s the device needs")
                            .as("the longest timeouts any node declares count")
                            .contains("quorum.device.timeout 10000 ms + sync_timeout 30000 ms");
                });
    }
}
