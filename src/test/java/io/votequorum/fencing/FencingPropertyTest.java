package io.votequorum.fencing;

import static org.assertj.core.api.Assertions.assertThat;

import io.votequorum.model.ConfirmedFenceAction;
import io.votequorum.model.FenceStage;
import io.votequorum.model.RingId;
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
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.statistics.Statistics;

/**
 * For any reports (jqwik, 5,000 cases from a fixed seed): the engine never fences a node that a fresh, quorate
 * report not contradicted by its own members lists as a member; never fences when no fresh quorate
 * report exists; never fences every node, nor more than maxFencedNodes. For real splits of clusters
 * with two_node, uneven votes, lowered expected votes, quorum devices, auto_tie_breaker and agents that
 * cannot reach the API server: it never fences a node that corosync could count in another quorate
 * partition, and never takes step 3 without evidence, holding at that time, that the node is off.
 */
class FencingPropertyTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /**
     * Each case is generated from a list of raw choices read as a {@link Random}'s bits, so jqwik
     * shrinks a failing case by zeroing choices: towards two nodes, no records, no watchdogs, and
     * zero timings. A failure prints the smallest case found and is replayed first on the next run.
     */
    @Property(tries = 5000, seed = "20261126")
    void safetyRulesHoldForAnyReports(@ForAll("choices") List<Integer> choices) {
        Scenario scenario = Scenario.generate(new Choices(choices));
        FencePlan plan = FencePlan.decide(scenario.reports, scenario.nodes, scenario.rules, scenario.now);
        check(scenario, plan);
        // The generator must reach the interesting cases, not only the "no view" ones.
        Statistics.label("verdict").collect(plan.verdict().getClass().getSimpleName());
        Statistics.label("split with two truly quorate partitions")
                .collect(scenario.quorateGroups.map(g -> g.size() > 1).orElse(false));
        Statistics.label("step 3 taken on evidence")
                .collect(plan.decisions().stream().anyMatch(FencingPropertyTest::forcedNow));
        Statistics.label("verdict").coverage(c -> {
            c.check("Quorate").percentage(p -> p > 10);
            c.check("NotExclusive").percentage(p -> p > 2);
        });
        Statistics.label("split with two truly quorate partitions")
                .coverage(c -> c.check(true).percentage(p -> p > 1));
        Statistics.label("step 3 taken on evidence").coverage(c -> c.check(true).percentage(p -> p > 0.05));
    }

    @Provide
    Arbitrary<List<Integer>> choices() {
        return Arbitraries.integers()
                .between(0, Integer.MAX_VALUE)
                .withDistribution(RandomDistribution.uniform())
                .list()
                .ofSize(Choices.SIZE);
    }

    /** A {@link Random} whose bits are the given choices, then zeros. */
    static final class Choices extends Random {
        static final int SIZE = 300;
        private final List<Integer> values;
        private int next;

        Choices(List<Integer> values) {
            this.values = values;
        }

        @Override
        protected int next(int bits) {
            int value = next < values.size() ? values.get(next++) : 0;
            return bits >= 31 ? value << (bits - 31) : value >>> (31 - bits);
        }
    }

    private static boolean forcedNow(FencePlan.NodeDecision d) {
        return d.desired().map(r -> r.stage() == FenceStage.Fenced).orElse(false)
                && d.current().map(r -> r.stage() != FenceStage.Fenced).orElse(true);
    }

    private static void check(Scenario s, FencePlan plan) {
        String context = "case " + s;
        Map<String, NodeFacts> byName = new HashMap<>();
        s.nodes.forEach(n -> byName.put(n.name(), n));

        Set<Long> protectedIds = new HashSet<>();
        Map<Long, Report> fresh = new HashMap<>();
        s.reports.stream().filter(Report::fresh).forEach(r -> fresh.put(r.nodeId(), r));
        for (Report r : s.reports) {
            // Its own members report another ring, or a newer ring lists one of them: ring ids only grow.
            boolean contradicted = r.members().stream()
                            .map(fresh::get)
                            .anyMatch(m -> m != null && !m.ring().equals(r.ring()))
                    || fresh.values().stream()
                            .anyMatch(f -> f.ring().isPresent()
                                    && r.ring().isPresent()
                                    && f.ring().get().seq() > r.ring().get().seq()
                                    && f.members().stream().anyMatch(r.members()::contains));
            if (r.freshQuorate() && !contradicted && r.members().contains(r.nodeId())) {
                protectedIds.addAll(r.members());
            }
        }
        boolean anyFreshQuorate = s.reports.stream().anyMatch(Report::freshQuorate);

        int fencedAfter = 0;
        int fencedBefore = 0;
        for (FencePlan.NodeDecision d : plan.decisions()) {
            NodeFacts node = byName.get(d.node());
            long id = node.corosyncId().orElseThrow();
            boolean advanced = d.desired().isPresent()
                    && (d.current().isEmpty()
                            || d.desired()
                                            .get()
                                            .stage()
                                            .compareTo(d.current().get().stage())
                                    > 0);
            if (advanced) {
                assertThat(protectedIds)
                        .as("fenced a member of a fresh quorate view; %s", context)
                        .doesNotContain(id);
                assertThat(anyFreshQuorate)
                        .as("fenced with no fresh quorate report; %s", context)
                        .isTrue();
                s.quorateGroups.ifPresent(quorate -> assertThat(quorate.stream().anyMatch(g -> g.contains(id)))
                        .as("fenced node %d, which corosync counts in a quorate partition; %s", id, context)
                        .isFalse());
            }
            if (forcedNow(d)) {
                FenceRecord record = d.desired().get();
                boolean confirmed = node.confirmedOff()
                        .map(at -> !at.isBefore(record.since()) && !s.now.isBefore(at))
                        .orElse(false);
                boolean selfFenced = node.selfFencing()
                        .map(w -> !s.now.isBefore(record.since()
                                .plus(
                                        w.after().compareTo(s.rules.selfFenceAfter()) >= 0
                                                ? w.after()
                                                : s.rules.selfFenceAfter())
                                .plus(w.timeout())
                                .plus(s.rules.safetyMargin())))
                        .orElse(false);
                assertThat(confirmed || selfFenced)
                        .as("step 3 for %s without evidence that holds now; %s", d.node(), context)
                        .isTrue();
                assertThat(record.evidence())
                        .as("step 3 names its evidence; %s", context)
                        .isPresent();
            }
            if (!anyFreshQuorate) {
                assertThat(d.changes())
                        .as("changed something with no fresh quorate report; %s", context)
                        .isFalse();
            }
            checkSteps(d, protectedIds.contains(id), context);
            fencedAfter += d.desired().isPresent() ? 1 : 0;
            fencedBefore += d.current().isPresent() ? 1 : 0;
        }
        assertThat(fencedAfter)
                .as("more than maxFencedNodes; %s", context)
                .isLessThanOrEqualTo(Math.max(s.rules.maxFencedNodes(), fencedBefore));
        if (fencedBefore < s.nodes.size()) {
            assertThat(fencedAfter).as("fenced every node; %s", context).isLessThan(s.nodes.size());
        }
    }

    /**
     * The steps carry out the decision and nothing more: none for a node nothing may be done to, an
     * unfence only for a fenced node that is to be unfenced, step 3 only with its evidence, and no step
     * up the ladder for a member of a fresh quorate view.
     */
    private static void checkSteps(FencePlan.NodeDecision d, boolean protectedMember, String context) {
        for (ConfirmedFenceAction action : ConfirmedFenceAction.values()) {
            List<NodeStep> steps = d.steps(action);
            assertThat(steps)
                    .as("steps for another node; %s", context)
                    .allMatch(step -> step.node().equals(d.node()));
            if (!d.active()) {
                assertThat(steps)
                        .as("a step for %s, which nothing may be done to; %s", d.node(), context)
                        .isEmpty();
                continue;
            }
            boolean unfence = steps.stream().anyMatch(NodeStep.Unfence.class::isInstance);
            assertThat(unfence)
                    .as("unfence of %s; %s", d.node(), context)
                    .isEqualTo(d.current().isPresent() && d.desired().isEmpty());
            boolean third = steps.stream()
                    .anyMatch(step ->
                            step instanceof NodeStep.MarkOutOfService || step instanceof NodeStep.DeleteWorkloads);
            if (third) {
                assertThat(d.desired().flatMap(FenceRecord::evidence))
                        .as("step 3 on %s without evidence; %s", d.node(), context)
                        .isPresent();
            }
            boolean upTheLadder = steps.stream()
                    .anyMatch(step -> step instanceof NodeStep.Cordon
                            || step instanceof NodeStep.Evict
                            || step instanceof NodeStep.MarkOutOfService
                            || step instanceof NodeStep.DeleteWorkloads);
            if (upTheLadder && d.current().isEmpty()) {
                assertThat(protectedMember)
                        .as("a new fence of %s, a member of a fresh quorate view; %s", d.node(), context)
                        .isFalse();
            }
        }
    }

    /**
     * Nodes, what they report, what the operator did before, and the time; for real splits also the
     * groups corosync counts as quorate (empty for arbitrary reports, which have no truth behind them).
     */
    record Scenario(
            List<Report> reports,
            List<NodeFacts> nodes,
            FencingRules rules,
            Instant now,
            Optional<List<Set<Long>>> quorateGroups,
            String cluster) {

        static Scenario generate(Random random) {
            int n = 2 + random.nextInt(6);
            Instant now = T0.plusSeconds(random.nextInt(600));
            List<NodeFacts> nodes = new ArrayList<>();
            for (long id = 1; id <= n; id++) {
                Optional<FenceRecord> record = random.nextInt(5) == 0
                        ? Optional.of(new FenceRecord(
                                FenceStage.values()[random.nextInt(3)],
                                T0.plusSeconds(random.nextInt(200)),
                                "earlier",
                                random.nextBoolean()
                                        ? Optional.of(T0.plusSeconds(random.nextInt(250)))
                                        : Optional.empty(),
                                Optional.of("earlier evidence"),
                                Optional.of(T0.plusSeconds(random.nextInt(250)))))
                        : Optional.empty();
                Optional<NodeFacts.SelfFencing> watchdog = random.nextInt(3) == 0
                        ? Optional.of(new NodeFacts.SelfFencing(
                                "/dev/watchdog",
                                Duration.ofSeconds(random.nextInt(60)),
                                Duration.ofSeconds(1 + random.nextInt(20)),
                                Optional.of(T0.plusSeconds(3600))))
                        : Optional.empty();
                Optional<Instant> confirmed = random.nextInt(6) == 0
                        ? Optional.of(T0.plusSeconds(random.nextInt(300) - 50))
                        : Optional.empty();
                nodes.add(new NodeFacts(
                        "node" + id, Optional.of(id), random.nextInt(10) == 0, record, watchdog, confirmed));
            }
            FencingRules rules = new FencingRules(
                    Duration.ofSeconds(random.nextInt(30)),
                    Duration.ofSeconds(random.nextInt(120)),
                    Duration.ofSeconds(random.nextInt(60)),
                    1 + random.nextInt(3),
                    random.nextInt(20) == 0,
                    Duration.ofSeconds(random.nextInt(60)),
                    Duration.ofSeconds(random.nextInt(15)));
            if (random.nextInt(3) == 0) {
                return new Scenario(arbitrary(random, n), nodes, rules, now, Optional.empty(), "arbitrary");
            }
            Split split = Split.generate(random, n);
            return new Scenario(
                    split.reports(random), nodes, rules, now, Optional.of(split.quorateGroups()), split.toString());
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
                Optional<Boolean> quorate =
                        random.nextInt(6) == 0 ? Optional.empty() : Optional.of(random.nextBoolean());
                Optional<RingId> ring =
                        quorate.isEmpty() ? Optional.empty() : Optional.of(rings.get(random.nextInt(rings.size())));
                reports.add(new Report(
                        "node" + id, id, quorate, ring, members, members.size(), n / 2 + 1, random.nextInt(4) > 0));
            }
            return reports;
        }

        @Override
        public String toString() {
            return cluster + ", rules " + rules + ", now " + now + ", nodes " + nodes + ", reports " + reports;
        }
    }

    /**
     * A corosync cluster split into groups, with corosync's own quorum arithmetic: votes per node, the
     * expected votes in force (lowered by -e or last_man_standing before the split), two_node, a
     * quorum device that votes for one group at most, and auto_tie_breaker.
     */
    record Split(
            Map<Long, Integer> votes,
            Map<Long, Integer> groupOf,
            int expected,
            boolean twoNode,
            int qdevice,
            int qdeviceGroup,
            boolean tieBreaker) {

        static Split generate(Random random, int n) {
            boolean twoNode = n == 2 && random.nextBoolean();
            Map<Long, Integer> votes = new TreeMap<>();
            for (long id = 1; id <= n; id++) {
                votes.put(id, twoNode || random.nextInt(3) > 0 ? 1 : 1 + random.nextInt(3));
            }
            int qdevice = !twoNode && random.nextInt(4) == 0 ? 1 + random.nextInt(n) : 0;
            int total = votes.values().stream().mapToInt(Integer::intValue).sum() + qdevice;
            int expected = random.nextInt(4) == 0 ? 1 + random.nextInt(total) : total;
            int groups = 1 + random.nextInt(3);
            Map<Long, Integer> groupOf = new TreeMap<>();
            for (long id = 1; id <= n; id++) {
                groupOf.put(id, random.nextInt(groups));
            }
            int qdeviceGroup = qdevice > 0 ? random.nextInt(groups + 1) - 1 : -1; // -1: the device votes for none
            return new Split(
                    votes, groupOf, expected, twoNode, qdevice, qdeviceGroup, !twoNode && random.nextInt(4) == 0);
        }

        int total() {
            return votes.values().stream().mapToInt(Integer::intValue).sum() + qdevice;
        }

        Set<Long> members(int group) {
            Set<Long> members = new TreeSet<>();
            groupOf.forEach((id, g) -> {
                if (g == group) {
                    members.add(id);
                }
            });
            return members;
        }

        int votesOf(int group) {
            return members(group).stream().mapToInt(votes::get).sum() + (group == qdeviceGroup ? qdevice : 0);
        }

        int quorum() {
            return twoNode ? 1 : expected / 2 + 1;
        }

        /** votequorum's answer for one group. */
        boolean quorate(int group) {
            Set<Long> members = members(group);
            if (members.isEmpty()) {
                return false;
            }
            int present = votesOf(group);
            if (present >= quorum()) {
                return true;
            }
            // auto_tie_breaker as votequorum has it: total_votes == expected_votes / 2 and the lowest node id.
            return tieBreaker && present == expected / 2 && members.contains(1L);
        }

        List<Set<Long>> quorateGroups() {
            List<Set<Long>> quorate = new ArrayList<>();
            for (int g : new HashSet<>(groupOf.values())) {
                if (quorate(g)) {
                    quorate.add(members(g));
                }
            }
            return quorate;
        }

        /**
         * Each node reports its group's view; an agent that cannot reach the API server leaves its report
         * from before the split (stale, or with its Lease not yet run out), or none at all.
         */
        List<Report> reports(Random random) {
            Report.Votes before = votesSeen(-2);
            RingId ringBefore = new RingId(1, 0x10);
            List<Report> reports = new ArrayList<>();
            for (long id : votes.keySet()) {
                int group = groupOf.get(id);
                Set<Long> members = members(group);
                int reach = random.nextInt(8);
                if (reach == 0) {
                    continue; // never reported
                }
                if (reach <= 2) {
                    reports.add(new Report(
                            "node" + id,
                            id,
                            Optional.of(true),
                            Optional.of(ringBefore),
                            votes.keySet(),
                            total(),
                            quorum(),
                            reach == 2,
                            before));
                    continue;
                }
                RingId ring = new RingId(members.stream().min(Long::compare).orElseThrow(), 0x14 + group);
                reports.add(new Report(
                        "node" + id,
                        id,
                        Optional.of(quorate(group)),
                        Optional.of(ring),
                        members,
                        votesOf(group),
                        quorum(),
                        true,
                        votesSeen(group)));
            }
            return reports;
        }

        /** What a node of the group reports of the whole cluster: every configured node, the device, the options. */
        Report.Votes votesSeen(int group) {
            boolean cast = group == -2 ? qdeviceGroup >= 0 : group == qdeviceGroup;
            return new Report.Votes(votes, expected, qdevice, qdevice > 0 && cast, tieBreaker, twoNode);
        }

        @Override
        public String toString() {
            return "split votes " + votes + " groups " + groupOf + " expected " + expected
                    + (twoNode ? " two_node" : "")
                    + (qdevice > 0 ? " qdevice " + qdevice + " for group " + qdeviceGroup : "")
                    + (tieBreaker ? " auto_tie_breaker" : "") + " quorate " + quorateGroups();
        }
    }
}
