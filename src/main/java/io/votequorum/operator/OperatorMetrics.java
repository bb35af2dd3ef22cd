package io.votequorum.operator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.votequorum.fencing.FencePlan;
import io.votequorum.fencing.PartitionVerdict;
import io.votequorum.model.FenceStage;
import io.votequorum.policy.QuorumRisk;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Prometheus metrics of the operator, per corosync cluster. */
final class OperatorMetrics {

    private final MeterRegistry registry;
    private final Timer decision;
    private final Map<String, AtomicInteger> gauges = new ConcurrentHashMap<>();

    OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.decision = Timer.builder("votequorum_decision_latency")
                .description("From the start of a reconcile to the plan decided and carried out")
                .publishPercentileHistogram()
                .register(registry);
    }

    void decided(Duration took) {
        decision.record(took);
    }

    /** Fenced nodes by stage and the partition's votes to spare, after a plan. */
    void plan(String cluster, FencePlan plan, Optional<QuorumRisk> risk) {
        for (FenceStage stage : FenceStage.values()) {
            gauge("votequorum_fenced_nodes", "Nodes on the fencing ladder, by stage", cluster, "stage", stage.name())
                    .set((int) plan.fenced().stream()
                            .filter(d -> d.desired().get().stage() == stage)
                            .count());
        }
        gauge(
                        "votequorum_nodes_awaiting_confirmation",
                        "Evicted nodes past fenceTimeout without proof that they are "
                                + "off (no watchdog safe time, no confirmation)",
                        cluster,
                        null,
                        null)
                .set((int) plan.decisions().stream()
                        .filter(d -> d.active() && d.awaiting().isPresent())
                        .count());
        gauge(
                        "votequorum_partition_votes_to_spare",
                        "Votes the quorate partition can lose and stay quorate " + "(-1: no settled quorate view)",
                        cluster,
                        null,
                        null)
                .set(
                        plan.verdict() instanceof PartitionVerdict.Quorate q
                                ? q.partition().votesToSpare()
                                : plan.verdict() instanceof PartitionVerdict.NotExclusive n
                                        ? n.partition().votesToSpare()
                                        : -1);
        gauge(
                        "votequorum_partition_critical_nodes",
                        "Members of the quorate partition whose loss alone would break quorum "
                                + "(-1: no settled quorate view)",
                        cluster,
                        null,
                        null)
                .set(risk.map(r -> r.critical().size()).orElse(-1));
    }

    /** One action on a Node: cordon, evict, outOfService, deleteWorkloads, unfence; success or error. */
    void action(String type, boolean success) {
        Counter.builder("votequorum_fencing_actions")
                .description("Fencing actions by type and result")
                .tag("type", type)
                .tag("result", success ? "success" : "error")
                .register(registry)
                .increment();
    }

    private AtomicInteger gauge(String name, String description, String cluster, String tag, String value) {
        String key = name + "/" + cluster + "/" + tag + "=" + value;
        return gauges.computeIfAbsent(key, k -> {
            AtomicInteger holder = new AtomicInteger();
            Gauge.Builder<AtomicInteger> builder = Gauge.builder(name, holder, AtomicInteger::get)
                    .description(description)
                    .tag("cluster", cluster);
            if (tag != null) {
                builder.tag(tag, value);
            }
            builder.register(registry);
            return holder;
        });
    }
}
