package io.votequorum.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.votequorum.model.QuorumFlag;
import io.votequorum.model.QuorumStatusStatus;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/** Prometheus metrics of this node's quorum, as the agent last reported it, and of the agent's own work. */
final class AgentMetrics {

    private final MeterRegistry registry;
    private final AtomicReference<QuorumStatusStatus> current = new AtomicReference<>();
    private final Timer writeLatency;

    AgentMetrics(MeterRegistry registry) {
        this.registry = registry;
        gauge(
                "votequorum_quorate",
                "1 quorate, 0 not quorate, -1 unknown (corosync unreachable)",
                s -> s.getQuorate() == null ? -1 : s.getQuorate() ? 1 : 0);
        gauge("votequorum_node_votes", "Votes this node carries", s -> number(s.getNodeVotes()));
        gauge("votequorum_expected_votes", "Expected votes", s -> number(s.getExpectedVotes()));
        gauge("votequorum_total_votes", "Votes present in this node's partition", s -> number(s.getTotalVotes()));
        gauge("votequorum_quorum", "Votes needed for quorum", s -> number(s.getQuorum()));
        gauge("votequorum_members", "Members of this node's partition", s -> number(s.getMemberCount()));
        for (QuorumFlag flag : QuorumFlag.values()) {
            Gauge.builder(
                            "votequorum_flag",
                            current,
                            r -> r.get() != null && r.get().getFlags().contains(flag) ? 1 : 0)
                    .description("votequorum flags, 1 when set")
                    .tag("flag", flag.name())
                    .register(registry);
        }
        writeLatency = Timer.builder("votequorum_status_write_latency")
                .description("From the votequorum callback to the QuorumStatus write acknowledged by the API server")
                .publishPercentileHistogram()
                .register(registry);
    }

    void update(QuorumStatusStatus status) {
        current.set(status);
    }

    void statusWritten(Duration sinceCallback) {
        writeLatency.record(sinceCallback);
    }

    void apiWrite(String kind, boolean success) {
        Counter.builder("votequorum_api_writes")
                .description("Writes to the API server by kind and result")
                .tag("kind", kind)
                .tag("result", success ? "success" : "error")
                .register(registry)
                .increment();
    }

    private void gauge(String name, String description, ToDoubleFunction<QuorumStatusStatus> value) {
        Gauge.builder(name, current, r -> r.get() == null ? Double.NaN : value.applyAsDouble(r.get()))
                .description(description)
                .register(registry);
    }

    private static double number(Integer value) {
        return value == null ? Double.NaN : value;
    }
}
