package io.votequorum.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.votequorum.model.Conditions;
import io.votequorum.model.FencingMode;
import io.votequorum.model.Member;
import io.votequorum.model.MemberState;
import io.votequorum.model.QuorumStatus;
import io.votequorum.model.RingId;
import io.votequorum.model.VoteQuorumPolicy;
import io.votequorum.testenv.KubeApiServer;
import io.votequorum.testenv.OperatorProcess;
import io.votequorum.testenv.ProcessStats;
import io.votequorum.testenv.PrometheusText;
import io.votequorum.testenv.Samples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Not a test: the operator's decision latency, from a report change to its first action, and its
 * memory, with 10, 1,000 and 5,000 QuorumStatus objects on a real API server. The objects form
 * corosync clusters of five nodes, each with its own policy, the shape of many edge sites in one
 * Kubernetes cluster and the most policies for a given number of reports. Run with {@code make bench}.
 */
class OperatorBenchmark {

    private static final String NAMESPACE = "votequorum-system";
    private static final int CLUSTER = 5;
    private static final List<Integer> SIZES = Arrays.stream(
                    System.getProperty("bench.operatorSizes", "10,1000,5000").split(","))
            .map(String::trim)
            .map(Integer::valueOf)
            .toList();
    private static final int SAMPLES = Integer.getInteger("bench.operatorSamples", 100);
    private static final int RENEWALS_PER_SECOND = Integer.getInteger("bench.renewalsPerSecond", 100);
    private static final Duration STEP = Duration.ofSeconds(120);
    private static final Path LOGS = Path.of("target", "operator-bench");
    private static final List<String> OPERATOR_JVM = List.of("-Xms64m", "-Xmx512m");

    private KubernetesClient client;
    private final Map<String, Instant> cordoned = new ConcurrentHashMap<>();
    private final AtomicInteger clusters = new AtomicInteger();
    private final AtomicLong ring = new AtomicLong(0x100);

    @Test
    void decisionLatencyAndMemoryByNumberOfReports() throws Exception {
        StringBuilder report = new StringBuilder();
        Files.createDirectories(LOGS);
        try (KubeApiServer api = KubeApiServer.start().withCrds()) {
            client = api.client();
            client.resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(NAMESPACE)
                            .endMetadata()
                            .build())
                    .create();
            Path kubeconfig = LOGS.resolve("kubeconfig.yaml");
            Files.writeString(kubeconfig, api.kubeconfig());
            SharedIndexInformer<Node> watch = client.nodes().inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Node node) {
                    seen(node);
                }

                @Override
                public void onUpdate(Node old, Node node) {
                    seen(node);
                }

                @Override
                public void onDelete(Node node, boolean unknown) {}

                private void seen(Node node) {
                    if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
                        cordoned.putIfAbsent(node.getMetadata().getName(), Instant.now());
                    } else {
                        cordoned.remove(node.getMetadata().getName());
                    }
                }
            });
            List<String> jvm = new ArrayList<>(OPERATOR_JVM);
            String extra = System.getProperty("bench.operatorJvmExtra", "").trim();
            if (!extra.isEmpty()) {
                jvm.addAll(List.of(extra.split("\\s+")));
            }
            OperatorProcess operator = OperatorProcess.start(kubeconfig, NAMESPACE, LOGS, jvm);
            ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor();
            AtomicInteger next = new AtomicInteger();
            renewals.scheduleAtFixedRate(
                    () -> renewOne(next.getAndIncrement()), 0, 1_000_000 / RENEWALS_PER_SECOND, TimeUnit.MICROSECONDS);
            try {
                for (int size : SIZES) {
                    long started = System.nanoTime();
                    grow(size / CLUSTER);
                    awaitAllQuorate();
                    double setup = (System.nanoTime() - started) / 1e9;
                    Thread.sleep(10_000); // let the operator's start-up work drain
                    List<Double> latencies = new ArrayList<>();
                    for (int s = 0; s < SAMPLES; s++) {
                        latencies.add(cutAndHeal((s * 7919) % clusters.get()));
                    }
                    ProcessStats before = ProcessStats.of(operator.handle());
                    Thread.sleep(30_000);
                    ProcessStats after = ProcessStats.of(operator.handle());
                    String line = String.format(
                            Locale.ROOT,
                            "%,d QuorumStatus (%d clusters of %d, %d policies): "
                                    + "report change -> first action (cordon seen by a watch) %s; operator RSS %.1f MiB, "
                                    + "live heap after a full GC %.1f MiB, CPU %.1f%% of one core over 30 s idle; "
                                    + "set up in %.0f s%n",
                            clusters.get() * CLUSTER,
                            clusters.get(),
                            CLUSTER,
                            clusters.get(),
                            Samples.summary(latencies),
                            after.rssMiB(),
                            liveHeapMiB(operator.handle()),
                            after.cpuSecondsSince(before) / 30 * 100,
                            setup);
                    System.out.print(line);
                    report.append(line);
                }
                report.append(String.format(
                        Locale.ROOT,
                        "background Lease renewals: %d per second; operator JVM: %s " + "(%d cores)%n",
                        RENEWALS_PER_SECOND,
                        String.join(" ", OPERATOR_JVM),
                        Runtime.getRuntime().availableProcessors()));
                report.append(reconcileTimes(operator.metrics()));
            } finally {
                renewals.shutdownNow();
                watch.close();
                operator.close();
            }
        }
        System.out.print(report);
        Path out = Path.of("target", "benchmarks", "operator.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report.toString());
    }

    /**
     * Node 5 of a cluster is cut off: nodes 1 to 4 report a new ring without it. The clock starts
     * when the API server has acknowledged the last of those reports (the moment the new view is
     * settled) and stops when a watch sees node 5 cordoned. Then the cluster heals.
     */
    private double cutAndHeal(int cluster) {
        long cut = ring.incrementAndGet();
        for (int i = 1; i <= 4; i++) {
            report(cluster, i, true, cut, 1, 2, 3, 4);
        }
        Instant settled = Instant.now();
        String lost = name(cluster, 5);
        await().atMost(STEP).until(() -> cordoned.containsKey(lost));
        double millis = Duration.between(settled, cordoned.get(lost)).toNanos() / 1e6;
        long healed = ring.incrementAndGet();
        for (int i = 1; i <= CLUSTER; i++) {
            report(cluster, i, true, healed, 1, 2, 3, 4, 5);
        }
        await().atMost(STEP)
                .until(() -> !cordoned.containsKey(lost)
                        && !Optional.ofNullable(client.nodes()
                                        .withName(lost)
                                        .get()
                                        .getMetadata()
                                        .getAnnotations())
                                .orElse(Map.of())
                                .containsKey(FenceAnnotation.KEY));
        return millis;
    }

    /** Adds clusters until there are {@code target}: reports, Leases and Nodes first, then each policy. */
    private void grow(int target) throws Exception {
        ExecutorService writers = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int c = clusters.get(); c < target; c++) {
                int cluster = c;
                work.add(writers.submit(() -> {
                    for (int i = 1; i <= CLUSTER; i++) {
                        report(
                                cluster,
                                i,
                                true,
                                0x10,
                                IntStream.rangeClosed(1, CLUSTER).toArray());
                        renew(name(cluster, i));
                        client.resource(new NodeBuilder()
                                        .withNewMetadata()
                                        .withName(name(cluster, i))
                                        .endMetadata()
                                        .build())
                                .create();
                    }
                    VoteQuorumPolicy policy = new VoteQuorumPolicy();
                    policy.setMetadata(new ObjectMetaBuilder()
                            .withName(clusterName(cluster))
                            .build());
                    policy.getSpec().setClusterName(clusterName(cluster));
                    policy.getSpec().getFencing().setMode(FencingMode.Enforce);
                    policy.getSpec().getFencing().setEvictAfter("1h");
                    policy.getSpec().getFencing().setFenceTimeout("1h");
                    policy.getSpec().getFencing().setHealthyDelay("0s");
                    client.resource(policy).create();
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            writers.shutdownNow();
        }
        clusters.set(Math.max(clusters.get(), target));
    }

    private void awaitAllQuorate() {
        await().atMost(Duration.ofMinutes(10))
                .pollInterval(Duration.ofSeconds(2))
                .until(() -> client.resources(VoteQuorumPolicy.class).list().getItems().stream()
                                .filter(p -> p.getStatus() != null
                                        && Conditions.isTrue(p.getStatus().getConditions(), "Quorate"))
                                .count()
                        == clusters.get());
    }

    private void report(int cluster, int node, boolean quorate, long seq, int... members) {
        String name = name(cluster, node);
        QuorumStatus status = new QuorumStatus();
        status.setMetadata(new ObjectMetaBuilder().withName(name).build());
        status.setSpec(null);
        status.getStatus().setNodeName(name);
        status.getStatus().setNodeId((long) node);
        status.getStatus().setClusterName(clusterName(cluster));
        status.getStatus().setQuorate(quorate);
        status.getStatus().setRingId(new RingId(members[0], seq));
        List<Member> list = new ArrayList<>();
        for (int m : members) {
            list.add(new Member(m, name(cluster, m), 1, MemberState.Member));
        }
        status.getStatus().setMembers(list);
        status.getStatus().setMemberCount(members.length);
        status.getStatus().setTotalVotes(members.length);
        status.getStatus().setQuorum(CLUSTER / 2 + 1);
        if (client.resources(QuorumStatus.class).withName(name).get() == null) {
            QuorumStatus shell = new QuorumStatus();
            shell.setMetadata(new ObjectMetaBuilder().withName(name).build());
            shell.setStatus(null);
            client.resource(shell).create();
        }
        client.resource(status)
                .subresource("status")
                .patch(new PatchContext.Builder()
                        .withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager("bench-agent")
                        .withForce(true)
                        .build());
    }

    /** A heartbeat valid for an hour, so freshness never depends on the benchmark keeping pace. */
    private void renew(String node) {
        client.resource(new LeaseBuilder()
                        .withNewMetadata()
                        .withName(node)
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withHolderIdentity(node)
                        .withLeaseDurationSeconds(3600)
                        .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                        .endSpec()
                        .build())
                .fieldManager("bench-agent")
                .forceConflicts()
                .serverSideApply();
    }

    private void renewOne(int i) {
        int known = clusters.get() * CLUSTER;
        if (known == 0) {
            return;
        }
        int n = i % known;
        try {
            renew(name(n / CLUSTER, n % CLUSTER + 1));
        } catch (RuntimeException e) {
            // a busy API server: the next round renews
        }
    }

    private static String clusterName(int cluster) {
        return "site" + cluster;
    }

    private static String name(int cluster, int node) {
        return "site" + cluster + "-n" + node;
    }

    /** The operator's own figure: how long its reconciles took, decisions and API writes included. */
    private static String reconcileTimes(String metrics) {
        double sum = PrometheusText.sum(metrics, "votequorum_decision_latency_seconds_sum");
        double count = PrometheusText.sum(metrics, "votequorum_decision_latency_seconds_count");
        double max = PrometheusText.sum(metrics, "votequorum_decision_latency_seconds_max");
        return String.format(
                Locale.ROOT,
                "operator's own votequorum_decision_latency_seconds (a reconcile, from "
                        + "its start to the plan decided and carried out): mean %.2f ms, max %.1f ms over %.0f reconciles%n",
                1000 * sum / count,
                1000 * max,
                count);
    }

    /** The heap still in use after a full collection: what the operator really needs at this size. */
    private static double liveHeapMiB(ProcessHandle process) throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, String.valueOf(process.pid()), "GC.run")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start()
                .waitFor(60, TimeUnit.SECONDS);
        Process info = new ProcessBuilder(jcmd, String.valueOf(process.pid()), "GC.heap_info")
                .redirectErrorStream(true)
                .start();
        String out = new String(info.getInputStream().readAllBytes());
        Matcher used = Pattern.compile("used (\\d+)K").matcher(out);
        assertThat(used.find()).as("GC.heap_info output: %s", out).isTrue();
        return Long.parseLong(used.group(1)) / 1024.0;
    }
}
