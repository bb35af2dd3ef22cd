package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.votequorum.model.Conditions;
import io.votequorum.model.FencingMode;
import io.votequorum.model.QuorumDeviceSpec;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.testenv.AgentProcess;
import io.votequorum.testenv.CorosyncCluster;
import io.votequorum.testenv.KubeApiServer;
import io.votequorum.testenv.OperatorProcess;
import io.votequorum.testenv.QuorumToolOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Lease-backed quorum device with every part real: a two-node corosync cluster in network
 * namespaces whose corosync.conf declares a one-vote device (and no two_node), one agent per node,
 * the operator, a real API server. A sampler runs corosync-quorumtool on both nodes throughout and
 * records any moment at which both are quorate, each in a partition without the other.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaseDeviceIT {

    private static final String NAMESPACE = "votequorum-system";
    private static final String CLUSTER = "pair";
    private static final String LEASE = "votequorum-device-" + CLUSTER;
    private static final Duration STEP = Duration.ofSeconds(90);
    private static final Path LOGS = Path.of("target", "lease-device-it");
    /** corosync's device timeouts (ms); the Lease's timings below are the shortest they allow. */
    private static final int DEVICE_TIMEOUT = 2000;

    private static final Duration LEASE_DURATION = Duration.ofSeconds(8);
    private static final Duration SKEW = Duration.ofSeconds(1);

    private static KubeApiServer api;
    private static KubernetesClient client;
    private static OperatorProcess operator;
    private static CorosyncCluster cluster;
    private static Path kubeconfig;
    private static final AgentProcess[] agents = new AgentProcess[3];
    private static Sampler sampler;

    @BeforeAll
    static void start() throws IOException {
        api = KubeApiServer.start().withCrds();
        client = api.client();
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        kubeconfig = AgentProcess.kubeconfigForNodes(api, LOGS);
        Files.writeString(LOGS.resolve("kubeconfig.yaml"), api.kubeconfig());
        operator = OperatorProcess.start(LOGS.resolve("kubeconfig.yaml"), NAMESPACE, LOGS, List.of());
        for (int i = 1; i <= 2; i++) {
            client.resource(new NodeBuilder()
                            .withNewMetadata()
                            .withName("node" + i)
                            .endMetadata()
                            .build())
                    .create();
        }
        cluster = CorosyncCluster.builder()
                .nodes(2)
                .clusterName(CLUSTER)
                .quorumExtra("device {\n    model: kubernetes-lease\n    votes: 1\n    timeout: " + DEVICE_TIMEOUT
                        + "\n    sync_timeout: " + DEVICE_TIMEOUT + "\n}")
                .start();
        for (int i = 1; i <= 2; i++) {
            agents[i] = AgentProcess.start(cluster, i, kubeconfig, NAMESPACE, LOGS);
        }
        VoteQuorumPolicy policy = new VoteQuorumPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(CLUSTER).build());
        policy.getSpec().setClusterName(CLUSTER);
        policy.getSpec().getFencing().setMode(FencingMode.Enforce);
        policy.getSpec().getFencing().setEvictAfter("1s");
        policy.getSpec().getFencing().setFenceTimeout("3s");
        policy.getSpec().getFencing().setHealthyDelay("1s");
        QuorumDeviceSpec device = new QuorumDeviceSpec();
        device.setEnabled(true);
        device.setLeaseDuration(LEASE_DURATION.toSeconds() + "s");
        device.setRenewInterval("1s");
        device.setClockSkewMargin(SKEW.toSeconds() + "s");
        policy.getSpec().setQuorumDevice(device);
        client.resource(policy).create();
        sampler = Sampler.start();
    }

    @AfterAll
    static void stop() {
        if (sampler != null) {
            sampler.close();
        }
        for (AgentProcess agent : agents) {
            if (agent != null) {
                agent.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
        if (operator != null) {
            operator.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    @Order(1)
    void bothNodesCastTheVoteOnceTheLeaseIsTakenAndCorosyncCountsIt() {
        awaitBothCasting();
        QuorumToolOutput node1 = QuorumToolOutput.parse(cluster.quorumtool(1));
        assertThat(node1.number("Total votes")).isEqualTo(3);
        assertThat(node1.members().stream().filter(QuorumToolOutput.Row::local).findFirst())
                .get()
                .extracting(QuorumToolOutput.Row::qdevice)
                .isEqualTo("A,V,NMW");
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("corosync-node-1@node1");
        assertThat(condition("QuorumDevice").getMessage())
                .startsWith("Lease " + LEASE + " is held by corosync-node-1@node1; the vote is cast by node1, node2");
    }

    @Test
    @Order(2)
    void inASplitOnlyTheLeaseHoldersSideStaysQuorateAndTheOperatorFencesTheOther() {
        awaitBothCasting();
        cluster.isolate(1, 2);
        await().atMost(STEP).untilAsserted(() -> {
            assertThat(cluster.quorate(1))
                    .as("node1: its vote and the device's")
                    .isTrue();
            assertThat(cluster.quorate(2)).as("node2: its vote alone").isFalse();
            assertThat(client.nodes().withName("node2").get().getSpec().getUnschedulable())
                    .as(
                            "node2 fenced: %s; %s",
                            condition("Quorate").getMessage(),
                            condition("Fencing").getMessage())
                    .isTrue();
        });
        heal(2);
        await().atMost(STEP)
                .untilAsserted(() -> assertThat(
                                client.nodes().withName("node2").get().getSpec().getUnschedulable())
                        .isNotEqualTo(Boolean.TRUE));
    }

    @Test
    @Order(3)
    void whenTheHoldersAgentStopsTheOtherSideIsQuorateOnlyAfterTheLeaseRanOut() throws IOException {
        awaitBothCasting();
        cluster.isolate(1, 2);
        await().atMost(STEP).until(() -> cluster.quorate(1) && !cluster.quorate(2));
        agents[1].close();
        Instant stopped = Instant.now();
        await().atMost(STEP).pollInterval(Duration.ofMillis(100)).until(() -> cluster.quorate(2));
        Instant node2Quorate = Instant.now();
        Lease taken = lease();
        // The renewal node2 waited out is the last one node1's agent made before it stopped.
        Instant lastRenewal = sampler.lastRenewalBy("corosync-node-1@node1");
        System.out.printf(
                "lease device: node1's agent stopped; node1 inquorate %d ms later, node2 quorate %d ms later, %d ms"
                        + " after node1's last renewal (Lease %d s + margin %d s)%n",
                sampler.firstInquorate(1, stopped)
                        .map(t -> Duration.between(stopped, t).toMillis())
                        .orElse(-1L),
                Duration.between(stopped, node2Quorate).toMillis(),
                Duration.between(lastRenewal, node2Quorate).toMillis(),
                LEASE_DURATION.toSeconds(),
                SKEW.toSeconds());
        assertThat(taken.getSpec().getHolderIdentity()).isEqualTo("corosync-node-2@node2");
        assertThat(node2Quorate)
                .as("node2 quorate only after the Lease's expiry plus the margin")
                .isAfterOrEqualTo(lastRenewal.plus(LEASE_DURATION).plus(SKEW));
        assertThat(cluster.quorate(1)).as("node1's vote lapsed").isFalse();

        agents[1] = AgentProcess.start(cluster, 1, kubeconfig, NAMESPACE, LOGS);
        heal(1);
    }

    @Test
    @Order(4)
    void twentySplitsNeverLeaveBothSidesQuorate() {
        int handovers = 0;
        for (int split = 1; split <= 20; split++) {
            awaitBothCasting();
            int holder = lease().getSpec().getHolderIdentity().endsWith("@node1") ? 1 : 2;
            int other = 3 - holder;
            if (split % 2 == 1) {
                // Only corosync's ring splits: the holder keeps the Lease and its side stays quorate.
                cluster.isolate(1, 2);
                await().atMost(STEP).until(() -> cluster.quorate(holder) && !cluster.quorate(other));
                heal(other);
            } else {
                // The holder loses the API server too: the other side takes the Lease once it ran out.
                cluster.cut(holder);
                await().atMost(STEP).until(() -> cluster.quorate(other) && !cluster.quorate(holder));
                handovers++;
                heal(holder);
            }
        }
        System.out.printf(
                "lease device: 20 splits (%d with a handover), %d samples of both sides, %d with both quorate"
                        + " apart%n",
                handovers, sampler.samples(), sampler.violations().size());
        assertThat(sampler.violations()).isEmpty();
        System.out.printf(
                "lease device: samples with both quorate in different rings (a merge or split passing): %s%n",
                sampler.passing());
        assertThat(sampler.samples()).isGreaterThan(100);
    }

    private static void heal(int node) {
        cluster.heal(node);
        await().atMost(STEP).until(() -> cluster.quorate(1) && cluster.quorate(2) && sameRing());
    }

    private static boolean sameRing() {
        return ring(QuorumToolOutput.parse(cluster.quorumtool(1)))
                .equals(ring(QuorumToolOutput.parse(cluster.quorumtool(2))));
    }

    private static void awaitBothCasting() {
        await().atMost(STEP).ignoreExceptions().untilAsserted(() -> {
            assertThat(condition("QuorumDevice").getReason())
                    .as(condition("QuorumDevice").getMessage())
                    .isEqualTo("Casting");
            assertThat(policy().getStatus().getQuorumDevice().casting()).containsExactly("node1", "node2");
        });
    }

    private static String ring(QuorumToolOutput out) {
        return out.fields().getOrDefault("Ring ID", "");
    }

    private static Set<Long> members(QuorumToolOutput out) {
        return out.members().stream()
                .map(QuorumToolOutput.Row::nodeId)
                .filter(id -> id != 0)
                .collect(Collectors.toSet());
    }

    private static Lease lease() {
        return client.leases().inNamespace(NAMESPACE).withName(LEASE).get();
    }

    private static VoteQuorumPolicy policy() {
        return client.resources(VoteQuorumPolicy.class).withName(CLUSTER).get();
    }

    private static Condition condition(String type) {
        return Conditions.find(policy().getStatus().getConditions(), type).orElseThrow();
    }

    /** corosync-quorumtool on both nodes every 200 ms, and the Lease's renewals, for the whole class. */
    private static final class Sampler implements AutoCloseable {
        /** Both nodes' answers, one right after the other: quorate, ring and members. */
        record Sample(
                Instant at,
                boolean quorate1,
                String ring1,
                Set<Long> members1,
                boolean quorate2,
                String ring2,
                Set<Long> members2) {

            /** Two quorate partitions: neither lists the other node. */
            boolean bothQuorateApart() {
                return quorate1 && quorate2 && !members1.contains(2L) && !members2.contains(1L);
            }
        }

        private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        private final List<String> renewals = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread = new Thread(this::run, "quorum-sampler");

        static Sampler start() {
            Sampler s = new Sampler();
            s.thread.setDaemon(true);
            s.thread.start();
            return s;
        }

        private void run() {
            Instant until = Instant.now().plus(Duration.ofMinutes(20)); // bounded, whatever the test does
            while (running.get() && Instant.now().isBefore(until)) {
                try {
                    Instant at = Instant.now();
                    QuorumToolOutput one = QuorumToolOutput.parse(cluster.quorumtool(1));
                    QuorumToolOutput two = QuorumToolOutput.parse(cluster.quorumtool(2));
                    samples.add(new Sample(
                            at,
                            "Yes".equals(one.fields().get("Quorate")),
                            ring(one),
                            members(one),
                            "Yes".equals(two.fields().get("Quorate")),
                            ring(two),
                            members(two)));
                    Optional.ofNullable(lease())
                            .filter(l -> l.getSpec().getRenewTime() != null)
                            .ifPresent(l -> renewals.add(l.getSpec().getHolderIdentity() + " "
                                    + l.getSpec().getRenewTime().toInstant()));
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // a sample lost while a node is cut; the next one counts
                }
            }
        }

        int samples() {
            return samples.size();
        }

        List<Sample> violations() {
            synchronized (samples) {
                return samples.stream().filter(Sample::bothQuorateApart).toList();
            }
        }

        List<Sample> passing() {
            synchronized (samples) {
                return samples.stream()
                        .filter(s -> s.quorate1() && s.quorate2() && !s.ring1().equals(s.ring2()))
                        .toList();
            }
        }

        Optional<Instant> firstInquorate(int node, Instant after) {
            synchronized (samples) {
                return samples.stream()
                        .filter(s -> s.at().isAfter(after))
                        .filter(s -> node == 1 ? !s.quorate1() : !s.quorate2())
                        .map(Sample::at)
                        .findFirst();
            }
        }

        Instant lastRenewalBy(String holder) {
            synchronized (renewals) {
                return renewals.stream()
                        .filter(r -> r.startsWith(holder + " "))
                        .map(r -> Instant.parse(r.substring(holder.length() + 1)))
                        .max(Instant::compareTo)
                        .orElseThrow();
            }
        }

        @Override
        public void close() {
            running.set(false);
            thread.interrupt();
        }
    }
}
