package io.votequorum.fencing;

import io.votequorum.model.FenceStage;
import io.votequorum.model.RingId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * For any set of reports, from a seeded generator: the engine never fences a node that a fresh,
 * quorate report not contradicted by its own members lists as a member; it never fences when no
 * fresh quorate report exists; it never fences every node, nor more than maxFencedNodes.
 */
class FencingPropertyTest {

    private static final long SEED = Long.getLong("fencing.seed", 20261125L);
    private static final int CASES = Integer.getInteger("fencing.cases", 5000);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void safetyRulesHoldForAnyReports() {
        Random random = new Random(SEED);
        int quorateCases = 0;
        for (int i = 0; i < CASES; i++) {
            long caseSeed = random.nextLong();
            Scenario scenario = Scenario.generate(new Random(caseSeed));
            FencePlan plan = FencePlan.decide(scenario.reports, scenario.nodes, scenario.rules, scenario.now);
            if (plan.verdict() instanceof PartitionVerdict.Quorate) {
                quorateCases++;
            }
            check(scenario, plan, caseSeed);
        }
        // The generator must reach the interesting cases, not only the "no view" ones.
        assertThat(quorateCases).as("cases with a settled quorate partition").isGreaterThan(CASES / 5);
    }

    private static void check(Scenario s, FencePlan plan, long caseSeed) {
        String context = "case seed " + caseSeed + ": " + s;
        Map<String, NodeFacts> byName = new HashMap<>();
        s.nodes.forEach(n -> byName.put(n.name(), n));

        Set<Long> protectedIds = new HashSet<>();
        Map<Long, Report> fresh = new HashMap<>();
        s.reports.stream().filter(Report::fresh).forEach(r -> fresh.put(r.nodeId(), r));
        for (Report r : s.reports) {
            boolean contradicted = r.members().stream().map(fresh::get)
                    .anyMatch(m -> m != null && !m.ring().equals(r.ring()));
            if (r.freshQuorate() && !contradicted && r.members().contains(r.nodeId())) {
                protectedIds.addAll(r.members());
            }
        }
        boolean anyFreshQuorate = s.reports.stream().anyMatch(Report::freshQuorate);

        int fencedAfter = 0;
        int fencedBefore = 0;
        for (FencePlan.NodeDecision d : plan.decisions()) {
            NodeFacts node = byName.get(d.node());
            boolean advanced = d.desired().isPresent() && (d.current().isEmpty()
                    || d.desired().get().stage().compareTo(d.current().get().stage()) > 0);
            if (advanced) {
                assertThat(protectedIds).as("fenced a member of a fresh quorate view; %s", context)
                        .doesNotContain(node.corosyncId().orElseThrow());
                assertThat(anyFreshQuorate).as("fenced with no fresh quorate report; %s", context).isTrue();
            }
            if (!anyFreshQuorate) {
                assertThat(d.changes()).as("changed something with no fresh quorate report; %s", context).isFalse();
            }
            fencedAfter += d.desired().isPresent() ? 1 : 0;
            fencedBefore += d.current().isPresent() ? 1 : 0;
        }
        assertThat(fencedAfter).as("more than maxFencedNodes; %s", context)
                .isLessThanOrEqualTo(Math.max(s.rules.maxFencedNodes(), fencedBefore));
        if (fencedBefore < s.nodes.size()) {
            assertThat(fencedAfter).as("fenced every node; %s", context).isLessThan(s.nodes.size());
        }
    }

    /** Nodes, what they report, what the operator did before, and the time. */
    record Scenario(List<Report> reports, List<NodeFacts> nodes, FencingRules rules, Instant now) {

        static Scenario generate(Random random) {
            int n = 2 + random.nextInt(6);
            Instant now = T0.plusSeconds(random.nextInt(300));
            List<Report> reports = random.nextBoolean() ? partitioned(random, n) : arbitrary(random, n);
            List<NodeFacts> nodes = new ArrayList<>();
            for (long id = 1; id <= n; id++) {
                Optional<FenceRecord> record = random.nextInt(5) == 0
                        ? Optional.of(new FenceRecord(FenceStage.values()[random.nextInt(3)],
                                T0.plusSeconds(random.nextInt(200)), "earlier", random.nextBoolean()
                                        ? Optional.of(T0.plusSeconds(random.nextInt(250))) : Optional.empty()))
                        : Optional.empty();
                nodes.add(new NodeFacts("node" + id, Optional.of(id), random.nextInt(10) == 0, record,
                        Optional.of(T0.plusSeconds(random.nextInt(300))), random.nextInt(4) == 0
                                ? Optional.of(T0.plusSeconds(random.nextInt(300))) : Optional.empty()));
            }
            FencingRules rules = new FencingRules(Duration.ofSeconds(random.nextInt(30)),
                    Duration.ofSeconds(random.nextInt(120)), Duration.ofSeconds(random.nextInt(60)),
                    1 + random.nextInt(3), random.nextInt(20) == 0);
            return new Scenario(reports, nodes, rules, now);
        }

        /** A real split into groups, then some reports left stale from the membership before it. */
        static List<Report> partitioned(Random random, int n) {
            int groups = 1 + random.nextInt(3);
            Map<Long, Integer> groupOf = new HashMap<>();
            for (long id = 1; id <= n; id++) {
                groupOf.put(id, random.nextInt(groups));
            }
            RingId before = new RingId(1, 0x10);
            Set<Long> everyone = new HashSet<>(groupOf.keySet());
            List<Report> reports = new ArrayList<>();
            for (long id = 1; id <= n; id++) {
                int group = groupOf.get(id);
                Set<Long> members = new HashSet<>();
                groupOf.forEach((other, g) -> {
                    if (g == group) {
                        members.add(other);
                    }
                });
                boolean stale = random.nextInt(4) == 0;
                boolean quorate = members.size() * 2 > n || (n == 2 && random.nextBoolean());
                RingId ring = new RingId(members.stream().min(Long::compare).orElseThrow(), 0x14 + group);
                reports.add(stale
                        ? new Report("node" + id, id, Optional.of(true), Optional.of(before), everyone, n, n / 2 + 1,
                                random.nextInt(3) > 0)
                        : new Report("node" + id, id, Optional.of(quorate), Optional.of(ring), members, members.size(),
                                n / 2 + 1, random.nextInt(8) > 0));
            }
            return reports;
        }

        /** Anything at all: random rings, member lists, quorate flags and freshness. */
        static List<Report> arbitrary(Random random, int n) {
            List<RingId> rings = List.of(new RingId(1, 4), new RingId(2, 8), new RingId(1, 12));
            List<Report> reports = new ArrayList<>();
            for (long id = 1; id <= n; id++) {
                Set<Long> members = new HashSet<>();
                for (long other = 1; other <= n; other++) {
                    if (other == id ? random.nextInt(10) > 0 : random.nextBoolean()) {
                        members.add(other);
                    }
                }
                Optional<Boolean> quorate = random.nextInt(6) == 0 ? Optional.empty() : Optional.of(random.nextBoolean());
                Optional<RingId> ring = quorate.isEmpty() ? Optional.empty()
                        : Optional.of(rings.get(random.nextInt(rings.size())));
                reports.add(new Report("node" + id, id, quorate, ring, members, members.size(), n / 2 + 1,
                        random.nextInt(4) > 0));
            }
            return reports;
        }
    }
}
