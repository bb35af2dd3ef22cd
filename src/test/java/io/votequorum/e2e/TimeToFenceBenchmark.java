package io.votequorum.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.votequorum.model.QuorumStatus;
import io.votequorum.testenv.CorosyncLog;
import io.votequorum.testenv.PowerSwitch;
import io.votequorum.testenv.RealNodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Time to fence, side by side with Kubernetes itself, in one run on four real nodes (a benchmark, not
 * a test; {@code make bench}). The application of {@code make demo} (hack/demo-app.yaml) runs with a
 * web pod and db-0 on node3, which is cut from the others ({@code real-nodes.sh cut}).
 *
 * <ol>
 * <li>Kubernetes alone: no operator, no agent; kube-controller-manager at its defaults. Cut, watched
 * until the web pod runs elsewhere (300 s after the unreachable taint), then healed.</li>
 * <li>Steady state: the chart installed, the stand-in watchdog and power switch ({@link PowerSwitch}),
 * deploy/examples/policy-enforce.yaml at its default timings; API writes and the pods' memory and CPU
 * as the kubelets report them, over two quiet minutes.</li>
 * <li>With votequorum-operator: {@value #DEFAULT_CUTS} cuts (-Dvotequorum.bench.cuts), each watched
 * until db-0 and the web pods run elsewhere, then healed, node3 powered on, and the pods gathered on
 * node3 again.</li>
 * </ol>
 *
 * Every step is the first time a watch (Nodes, pods, QuorumStatus), the API server's audit log
 * (evictions), corosync's log (the membership without node3, on node1) or the host's /proc (the
 * StatefulSet pod's processes, polled every 200 ms) showed it. Writes target/benchmarks/time-to-fence.txt
 * and target/benchmarks/time-to-fence.png (the first cut of each kind on one axis).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TimeToFenceBenchmark {

    private static final Path REPO =
            Path.of(System.getProperty("votequorum.repo", ".")).toAbsolutePath();
    private static final Path OUT = REPO.resolve("target/benchmarks");
    private static final String SYSTEM = "votequorum-system";
    private static final String CLUSTER = "vqreal";
    private static final int NODES = 4;
    private static final int LOST = 3;
    private static final int DEFAULT_CUTS = 20;
    private static final int CUTS = Integer.getInteger("votequorum.bench.cuts", DEFAULT_CUTS);
    private static final int ALONE_CUTS = Integer.getInteger("votequorum.bench.aloneCuts", 2);
    /** The chart's default watchdog timeout. */
    private static final Duration WATCHDOG_TIMEOUT = Duration.ofSeconds(10);

    static final String COROSYNC = "corosync (node1's log)";
    static final String REPORTS = "QuorumStatus";
    static final String LADDER = "operator's ladder";
    static final String APPLICATION = "application";
    static final String KUBERNETES = "Kubernetes (kube-controller-manager)";

    private static RealNodes nodes;
    private static KubernetesClient client;
    private static Shop shop;
    private static PowerSwitch power;
    private static final List<Timeline> alone = new ArrayList<>();
    private static final List<Timeline> fenced = new ArrayList<>();
    private static final List<String> report = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() throws IOException {
        nodes = RealNodes.start(NODES);
        client = nodes.client();
        shop = new Shop(nodes);
        shop.deploy(REPO);
        power = new PowerSwitch(
                nodes, Files.createDirectories(RealNodes.STATE.resolve("bench-hardware")), WATCHDOG_TIMEOUT);
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            summarize();
        } finally {
            if (power != null) {
                power.close();
            }
            if (nodes != null) {
                nodes.saveLogs(REPO.resolve("target/bench-logs"));
                nodes.close();
            }
        }
    }

    @Test
    @Order(1)
    void kubernetesAlone() {
        for (int i = 1; i <= ALONE_CUTS; i++) {
            shop.gatherOn(LOST);
            Timeline t = cut(Duration.ofSeconds(420), tl -> tl.seen("web pod Ready elsewhere"));
            alone.add(t);
            line("Kubernetes alone, cut " + i, t);
            nodes.heal(LOST);
            await().atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> nodes.ready(LOST)
                            && taints(LOST).stream()
                                    .noneMatch(x -> x.getKey().startsWith("node.kubernetes.io/unreachable")));
            assertThat(t.at("web pod Ready elsewhere"))
                    .as("Kubernetes alone moved the web pod")
                    .isPresent();
        }
    }

    @Test
    @Order(2)
    void steadyStateWithTheProduct() throws Exception {
        nodes.installProduct(SYSTEM, "--set-string", "operator.nodeSelector.kubernetes\\.io/hostname=node1");
        power.wireAgents(SYSTEM);
        String policy = Files.readString(REPO.resolve("deploy/examples/policy-enforce.yaml"))
                .replace("mycluster", CLUSTER);
        Path file = Files.createTempFile(RealNodes.STATE, "policy", ".yaml");
        Files.writeString(file, policy);
        ok(nodes.kubectl("apply", "--server-side", "-f", file.toString()));
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    assertThat(nodes.kubectl(
                                            "get",
                                            "vqp",
                                            CLUSTER,
                                            "-o",
                                            "jsonpath={.status.conditions[?(@.type==\"Quorate\")].status}")
                                    .output())
                            .isEqualTo("True");
                    for (int i = 1; i <= NODES; i++) {
                        assertThat(power.armed(i))
                                .as("node%d's watchdog fed", i)
                                .isTrue();
                    }
                });
        Thread.sleep(30_000); // start-up writes settle
        Instant from = Instant.now();
        List<Map<String, double[]>> samples = new ArrayList<>();
        for (int s = 0; s < 6; s++) {
            Thread.sleep(20_000);
            samples.add(nodes.podStats(SYSTEM));
        }
        Instant to = Instant.now();
        double minutes = Duration.between(from, to).toMillis() / 60_000.0;
        Map<String, Integer> writes = writesByUser(from, to);
        int agentWrites = writesBy(writes, "votequorum-agent ");
        int operatorWrites = writesBy(writes, "votequorum-operator ");
        report.add(String.format(
                Locale.ROOT,
                "steady state over %.1f min (policy quorate, nothing fenced): agents' API writes "
                        + "%.1f per node per minute; operator's %.1f per minute; all writes by user, verb and resource: %s",
                minutes,
                agentWrites / minutes / NODES,
                operatorWrites / minutes,
                writes));
        Map<String, double[]> summary = new TreeMap<>();
        for (Map<String, double[]> sample : samples) {
            sample.forEach((pod, v) -> summary.merge(pod, new double[] {v[0], v[1], 1}, (a, b) ->
                    new double[] {a[0] + b[0], Math.max(a[1], b[1]), a[2] + b[2]}));
        }
        summary.forEach((pod, v) -> report.add(String.format(
                Locale.ROOT,
                "steady state: %s: CPU %.1f millicores (mean of %d kubelet samples), working set up to %.1f MiB",
                pod,
                v[0] / v[2],
                (int) v[2],
                v[1])));
        assertThat(agentWrites)
                .as("the agents wrote their reports at least once")
                .isPositive();
        assertThat(summary.keySet())
                .as("the kubelets report the product's pods")
                .anyMatch(p -> p.contains("agent"))
                .anyMatch(p -> p.contains("operator"));
    }

    @Test
    @Order(3)
    void withTheOperatorAtDefaultTimings() {
        for (int i = 1; i <= CUTS; i++) {
            Pod db = shop.gatherOn(LOST);
            String oldDb = db.getMetadata().getUid();
            Timeline t = cut(
                    Duration.ofSeconds(240), tl -> tl.seen("db-0 Ready elsewhere") && tl.seen("web back to 2 Ready"));
            Instant healed = Instant.now();
            t.mark("heal", "healed", healed);
            try (Watches w = watch(t, oldDb)) {
                nodes.heal(LOST);
                t.mark("heal", "powered on");
                power.powerOn(LOST);
                await().atMost(Duration.ofSeconds(240))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> t.seen("unfenced"));
            }
            fenced.add(t);
            line("votequorum-operator, cut " + i, t);
            assertThat(t.at("db-0 ran twice")).as("db-0 ran twice in cut %d", i).isEmpty();
            assertThat(t.at("db-0 Ready elsewhere"))
                    .as("db-0 moved in cut %d", i)
                    .isPresent();
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> nodes.ready(LOST));
        }
    }

    // --- one cut

    /** Cuts node3 and records what follows until DONE holds or LIMIT passes. */
    private static Timeline cut(Duration limit, Predicate<Timeline> done) {
        Pod db = shop.pod("db-0");
        String oldDb = db.getMetadata().getUid();
        List<String> webOnLost = shop.web().stream()
                .filter(p -> shop.on(p, LOST))
                .map(p -> p.getMetadata().getName())
                .toList();
        Instant zero = Instant.now();
        Timeline t = new Timeline(zero);
        try (Watches w = watch(t, oldDb)) {
            nodes.cut(LOST);
            t.mark("cut", "node3 cut");
            long deadline = System.nanoTime() + limit.toNanos();
            boolean oldAlive = true;
            boolean last = false;
            while (!last) {
                // One more look once done: db-0 can turn Ready between two looks at its processes.
                last = System.nanoTime() >= deadline || done.test(t);
                oldAlive &= !Shop.processesOf(oldDb).isEmpty();
                if (!oldAlive) {
                    t.mark(APPLICATION, "old db-0's processes gone");
                }
                Pod current = shop.pod("db-0");
                if (current != null
                        && !oldDb.equals(current.getMetadata().getUid())
                        && !Shop.processesOf(current.getMetadata().getUid()).isEmpty()) {
                    t.mark(APPLICATION, "new db-0's first process");
                    if (oldAlive) {
                        t.mark(APPLICATION, "db-0 ran twice");
                    }
                }
                power.poweredOff(LOST).ifPresent(off -> t.mark(LADDER, "node3 powered itself off", off));
                sleep(200);
            }
        }
        corosyncLog(zero, TOKEN_LOST).ifPresent(at -> t.mark(COROSYNC, "token lost", at));
        corosyncLog(zero, MEMBERSHIP).ifPresent(at -> t.mark(COROSYNC, "membership without node3", at));
        for (RealNodes.Eviction e : nodes.evictions(Shop.NAMESPACE)) {
            if (e.at().isAfter(zero) && webOnLost.contains(e.pod())) {
                t.mark(LADDER, e.accepted() ? "web pod evicted" : "web pod eviction refused (budget)", e.at());
            }
        }
        return t;
    }

    /** Watches on node3, the application's pods and every QuorumStatus, marking T. */
    private static Watches watch(Timeline t, String oldDb) {
        Watches w = new Watches();
        w.add(client.nodes().withName(nodes.nodeName(LOST)).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Node node) {
                boolean cordoned = Boolean.TRUE.equals(node.getSpec().getUnschedulable());
                List<Taint> taints =
                        Optional.ofNullable(node.getSpec().getTaints()).orElse(List.of());
                boolean record = node.getMetadata().getAnnotations() != null
                        && node.getMetadata().getAnnotations().containsKey("votequorum.io/fencing");
                if (cordoned) {
                    t.mark(LADDER, "cordoned");
                }
                for (Taint taint : taints) {
                    String name = taint.getKey() + ":" + taint.getEffect();
                    t.mark(
                            taint.getKey().startsWith("votequorum.io") || name.contains("out-of-service")
                                    ? LADDER
                                    : KUBERNETES,
                            name);
                }
                boolean ready = node.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
                if (!ready) {
                    t.mark(KUBERNETES, "node3 NotReady");
                }
                boolean ours = record
                        || cordoned
                        || taints.stream()
                                .anyMatch(x -> x.getKey().startsWith("votequorum.io")
                                        || x.getKey().equals("node.kubernetes.io/out-of-service"));
                if (t.seen("powered on") && !ours) {
                    t.mark("heal", "unfenced");
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        }));
        w.add(client.pods().inNamespace(Shop.NAMESPACE).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                boolean web = "web".equals(pod.getMetadata().getLabels().get("app"));
                boolean lost = shop.on(pod, LOST);
                if (lost && pod.getMetadata().getDeletionTimestamp() != null) {
                    t.mark(APPLICATION, (web ? "web" : "db-0") + " pod on node3 deleting");
                }
                if (lost || !Shop.ready(pod)) {
                    return;
                }
                if (!web && !oldDb.equals(pod.getMetadata().getUid())) {
                    t.mark(APPLICATION, "db-0 Ready elsewhere");
                }
                if (web
                        && Instant.parse(pod.getMetadata().getCreationTimestamp())
                                .isAfter(t.zero().minusSeconds(1))) {
                    t.mark(APPLICATION, "web pod Ready elsewhere");
                }
                if (web
                        && shop.web().stream()
                                        .filter(p -> Shop.ready(p)
                                                && !shop.on(p, LOST)
                                                && p.getMetadata().getDeletionTimestamp() == null)
                                        .count()
                                == 2) {
                    t.mark(APPLICATION, "web back to 2 Ready");
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        }));
        boolean product = client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName("quorumstatuses.votequorum.io")
                        .get()
                != null;
        if (!product) {
            return w;
        }
        w.add(client.resources(QuorumStatus.class).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, QuorumStatus qs) {
                if (qs.getStatus() == null) {
                    return;
                }
                String name = qs.getMetadata().getName();
                if (name.equals(nodes.nodeName(LOST))
                        && Boolean.FALSE.equals(qs.getStatus().getQuorate())) {
                    t.mark(REPORTS, "node3 reports inquorate");
                }
                if (name.equals(nodes.nodeName(LOST))
                        && Boolean.TRUE.equals(qs.getStatus().getQuorate())
                        && t.seen("powered on")) {
                    t.mark(REPORTS, "node3 reports quorate");
                }
                if (name.equals("node1")
                        && qs.getStatus().getMemberCount() != null
                        && qs.getStatus().getMemberCount() < NODES) {
                    t.mark(REPORTS, "node1 reports " + qs.getStatus().getMemberCount() + " members");
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        }));
        return w;
    }

    /** Watches closed together. */
    private static final class Watches implements AutoCloseable {
        private final List<Watch> all = new ArrayList<>();

        void add(Watch watch) {
            all.add(watch);
        }

        @Override
        public void close() {
            all.forEach(Watch::close);
        }
    }

    private static final Pattern MEMBERSHIP = Pattern.compile(
            "^(\\w{3} +\\d+ \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*A new membership .* was formed\\. Members left: "
                    + "(.*\\s)?" + LOST + "(\\s.*)?$");
    private static final Pattern TOKEN_LOST = Pattern.compile(
            "^(\\w{3} +\\d+ \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*A processor failed, forming new configuration.*$");

    /** When node1's corosync first logged a line matching LINE after ZERO (its log has millisecond times). */
    private static Optional<Instant> corosyncLog(Instant zero, Pattern line) {
        try {
            for (String text : Files.readAllLines(nodes.logDir(1).resolve("corosync.log"), StandardCharsets.UTF_8)) {
                Matcher m = line.matcher(text);
                if (m.matches()) {
                    Instant at = CorosyncLog.time(m.group(1), zero);
                    if (at.isAfter(zero)) {
                        return Optional.of(at);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.empty();
    }

    // --- steady state

    /** Writes (create, update, patch, delete) the API server completed between FROM and TO, by user, verb and resource. */
    private static Map<String, Integer> writesByUser(Instant from, Instant to) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, Integer> byUser = new TreeMap<>();
        for (String line : Files.readAllLines(nodes.auditLog(), StandardCharsets.UTF_8)) {
            JsonNode e = json.readTree(line);
            String verb = e.path("verb").asText();
            if (!"ResponseComplete".equals(e.path("stage").asText())
                    || !List.of("create", "update", "patch", "delete").contains(verb)) {
                continue;
            }
            Instant at = Instant.parse(e.path("stageTimestamp").asText());
            if (at.isAfter(from) && at.isBefore(to)) {
                String resource = e.at("/objectRef/resource").asText()
                        + (e.at("/objectRef/subresource").isMissingNode()
                                ? ""
                                : "/" + e.at("/objectRef/subresource").asText());
                byUser.merge(e.at("/user/username").asText() + " " + verb + " " + resource, 1, Integer::sum);
            }
        }
        return byUser;
    }

    private static int writesBy(Map<String, Integer> writes, String account) {
        return writes.entrySet().stream()
                .filter(w -> w.getKey().startsWith("system:serviceaccount:" + SYSTEM + ":" + account))
                .mapToInt(Map.Entry::getValue)
                .sum();
    }

    // --- the figures

    private static void line(String what, Timeline t) {
        StringBuilder s = new StringBuilder(what).append(':');
        for (Timeline.Mark m : t.marks()) {
            s.append(String.format(Locale.ROOT, " %s %.2f s;", m.what(), t.seconds(m.at())));
        }
        System.out.println("TimeToFenceBenchmark " + s);
        report.add(s.toString());
    }

    private static void summarize() throws IOException {
        List<String> out = new ArrayList<>(report);
        out.add("");
        out.add("| after the cut of node3 | Kubernetes alone (" + alone.size() + " cuts): p50 / p99 | "
                + "votequorum-operator (" + fenced.size() + " cuts): p50 / p99 |");
        out.add("|---|---|---|");
        for (String step : List.of(
                "token lost",
                "membership without node3",
                "node1 reports 3 members",
                "cordoned",
                "votequorum.io/inquorate:NoSchedule",
                "web pod evicted",
                "web pod on node3 deleting",
                "web pod Ready elsewhere",
                "votequorum.io/inquorate:NoExecute",
                "node3 powered itself off",
                "old db-0's processes gone",
                "node3 NotReady",
                "node.kubernetes.io/unreachable:NoExecute",
                "node.kubernetes.io/out-of-service:NoExecute",
                "new db-0's first process",
                "db-0 Ready elsewhere",
                "web back to 2 Ready")) {
            out.add("| " + step + " | " + percentiles(alone, t -> t.at(step)) + " | "
                    + percentiles(fenced, t -> t.at(step)) + " |");
        }
        out.add("| cordoned after corosync's membership without node3 | – | "
                + percentiles(
                        fenced,
                        t -> t.at("cordoned")
                                .flatMap(c -> t.at("membership without node3").map(d -> c - d)))
                + " |");
        out.add("| after the heal: unfenced | – | "
                + percentiles(
                        fenced,
                        t -> t.at("unfenced").flatMap(u -> t.at("healed").map(h -> u - h))) + " |");
        out.add(String.format(
                Locale.ROOT,
                "| **the web pod Ready elsewhere, p50: Kubernetes alone / votequorum-operator** " + "| %s | |",
                ratio("web pod Ready elsewhere")));
        out.add("| db-0 ran twice (cuts) | – | "
                + fenced.stream().filter(t -> t.seen("db-0 ran twice")).count() + " |");
        out.forEach(System.out::println);
        Files.createDirectories(OUT);
        Files.write(OUT.resolve("time-to-fence.txt"), out);
        List<String> tsv = new ArrayList<>();
        for (List<Timeline> kind : List.of(alone, fenced)) {
            for (int i = 0; i < kind.size(); i++) {
                Timeline t = kind.get(i);
                for (Timeline.Mark m : t.marks()) {
                    tsv.add(String.join(
                            "\t",
                            kind == alone ? "alone" : "operator",
                            String.valueOf(i + 1),
                            m.lane(),
                            m.what(),
                            String.format(Locale.ROOT, "%.3f", t.seconds(m.at()))));
                }
            }
        }
        Files.write(OUT.resolve("time-to-fence.tsv"), tsv);
        if (!fenced.isEmpty()) {
            TimelineChart.draw(OUT.resolve("time-to-fence.tsv"), OUT.resolve("time-to-fence.png"));
        }
    }

    /** "p50 / p99" of the values (nearest rank), or "–" if none; with n, when some cuts lacked it. */
    private static String percentiles(List<Timeline> cuts, Function<Timeline, Optional<Double>> value) {
        List<Double> v =
                cuts.stream().map(value).flatMap(Optional::stream).sorted().toList();
        if (v.isEmpty()) {
            return "–";
        }
        String s = String.format(Locale.ROOT, "%.2f s / %.2f s", rank(v, 0.50), rank(v, 0.99));
        return v.size() == cuts.size() ? s : s + " (in " + v.size() + " of " + cuts.size() + ")";
    }

    private static String ratio(String step) {
        List<Double> a = alone.stream()
                .map(t -> t.at(step))
                .flatMap(Optional::stream)
                .sorted()
                .toList();
        List<Double> f = fenced.stream()
                .map(t -> t.at(step))
                .flatMap(Optional::stream)
                .sorted()
                .toList();
        return a.isEmpty() || f.isEmpty() ? "–" : String.format(Locale.ROOT, "%.0fx", rank(a, 0.5) / rank(f, 0.5));
    }

    private static double rank(List<Double> sorted, double p) {
        return sorted.get(Math.max(0, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static List<Taint> taints(int node) {
        return Optional.ofNullable(nodes.node(node).getSpec().getTaints()).orElse(List.of());
    }

    private static void ok(RealNodes.Result result) {
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
