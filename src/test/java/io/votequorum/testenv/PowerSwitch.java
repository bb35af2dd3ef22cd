package io.votequorum.testenv;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hardware a self-fencing node has, for real test nodes: a watchdog and a power switch, one file
 * each per node under {@code dir}, mounted into the agents (as hack/demo.sh does).
 *
 * <ul>
 * <li>The watchdog is {@code dir/watchdog/NODE}, which the agent's stand-in device grows by one byte
 * per feed. Once fed, it fires when it has not grown for longer than its timeout, unless its last
 * byte is the magic close 'V'.</li>
 * <li>The power switch is {@code dir/power-off/NODE}, which the agent's self-fence command creates.</li>
 * </ul>
 *
 * Either one powers the node off: everything in it stops ({@code real-nodes.sh stop-node}), as a
 * reset would. {@link #powerOn} starts it again. A watcher thread checks every 250 ms.
 */
public final class PowerSwitch implements AutoCloseable {

    private final RealNodes nodes;
    private final Path dir;
    private final Duration watchdogTimeout;
    private final Map<Integer, Watch> watches = new ConcurrentHashMap<>();
    private final Map<Integer, Instant> poweredOff = new ConcurrentHashMap<>();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final Thread watcher;
    private volatile boolean running = true;

    /** What the watcher last saw of one node's watchdog file. */
    private record Watch(long size, Instant grew, boolean fed, boolean closed) {}

    public PowerSwitch(RealNodes nodes, Path dir, Duration watchdogTimeout) {
        this.nodes = nodes;
        this.dir = dir;
        this.watchdogTimeout = watchdogTimeout;
        try {
            Files.createDirectories(dir.resolve("watchdog"));
            Files.createDirectories(dir.resolve("power-off"));
            for (int i = 1; i <= nodes.size(); i++) {
                Files.deleteIfExists(powerOffFile(i));
                Files.write(watchdogFile(i), new byte[0]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.watcher = new Thread(this::watch, "power-switch");
        watcher.setDaemon(true);
        watcher.start();
    }

    public Path dir() {
        return dir;
    }

    /**
     * Gives the agent DaemonSet in {@code namespace} this hardware: the directory mounted, the stand-in
     * watchdog device with this switch's timeout, and a self-fence command that asks for power-off.
     */
    public void wireAgents(String namespace) {
        check(nodes.kubectl(
                "-n", namespace, "patch", "daemonset", "votequorum-agent", "--type", "json", "-p", """
                [
                 {"op": "add", "path": "/spec/template/spec/volumes/-",
                  "value": {"name": "hardware", "hostPath": {"path": "%s", "type": "Directory"}}},
                 {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-",
                  "value": {"name": "hardware", "mountPath": "/var/lib/vq-hardware"}},
                 {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
                  "value": {"name": "VOTEQUORUM_AGENT_WATCHDOG_DEVICE", "value": "/var/lib/vq-hardware/watchdog/$(NODE_NAME)"}},
                 {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
                  "value": {"name": "VOTEQUORUM_AGENT_WATCHDOG_TIMEOUT", "value": "%ds"}},
                 {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
                  "value": {"name": "VOTEQUORUM_AGENT_SELF_FENCE_COMMAND", "value": "touch,/var/lib/vq-hardware/power-off/$(NODE_NAME)"}}
                ]""".formatted(
                                dir, watchdogTimeout.toSeconds())));
        check(nodes.kubectl("-n", namespace, "rollout", "status", "daemonset/votequorum-agent", "--timeout=180s"));
    }

    private static void check(RealNodes.Result result) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException(result.output());
        }
    }

    /** When node I was powered off, if it is off now. */
    public Optional<Instant> poweredOff(int node) {
        return Optional.ofNullable(poweredOff.get(node));
    }

    /** Whether node I's watchdog is being fed: fed at least once since power-on, and not closed. */
    public boolean armed(int node) {
        Watch w = watches.get(node);
        return w != null && w.fed() && !w.closed();
    }

    /** What the switch did, with times. */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** Powers node I on again: its power-off request is cleared and everything in it is started. */
    public void powerOn(int node) {
        try {
            Files.deleteIfExists(powerOffFile(node));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        watches.remove(node);
        if (poweredOff.containsKey(node)) {
            nodes.startNode(node);
            poweredOff.remove(node);
            log.add(Instant.now() + " node" + node + " powered on");
        }
    }

    private void watch() {
        while (running) {
            for (int i = 1; i <= nodes.size(); i++) {
                if (poweredOff.containsKey(i)) {
                    continue;
                }
                Optional<String> why = check(i, Instant.now());
                if (why.isPresent()) {
                    Instant at = Instant.now();
                    log.add(at + " node" + i + " powered off: " + why.get());
                    poweredOff.put(i, at);
                    try {
                        nodes.stopNode(i);
                    } catch (RuntimeException e) {
                        log.add(Instant.now() + " node" + i + " could not be stopped: " + e.getMessage());
                    }
                }
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Why node I must go off now, if it must: its self-fence action asked, or its watchdog fired. */
    private Optional<String> check(int node, Instant now) {
        if (Files.exists(powerOffFile(node))) {
            return Optional.of("its self-fence action");
        }
        long size;
        boolean closed;
        try (RandomAccessFile file = new RandomAccessFile(watchdogFile(node).toFile(), "r")) {
            size = file.length();
            closed = false;
            if (size > 0) {
                file.seek(size - 1);
                closed = file.read() == 'V';
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        Watch last = watches.get(node);
        if (last == null) {
            watches.put(node, new Watch(size, now, false, closed));
            return Optional.empty();
        }
        if (size != last.size()) {
            watches.put(node, new Watch(size, now, true, closed));
            return Optional.empty();
        }
        if (last.fed() && !last.closed() && Duration.between(last.grew(), now).compareTo(watchdogTimeout) > 0) {
            return Optional.of("its watchdog was not fed for " + watchdogTimeout.toSeconds() + " s");
        }
        return Optional.empty();
    }

    private Path watchdogFile(int node) {
        return dir.resolve("watchdog").resolve(nodes.nodeName(node));
    }

    private Path powerOffFile(int node) {
        return dir.resolve("power-off").resolve(nodes.nodeName(node));
    }

    @Override
    public void close() {
        running = false;
        watcher.interrupt();
        try {
            watcher.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
