package io.votequorum.agent;

import io.votequorum.model.WatchdogStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The watchdog that backs self-fencing. One feeder thread owns the device: it opens, feeds, disarms
 * and closes it, and feeds only when {@link WatchdogFeed} says so. Other threads hand it inputs (the
 * spec, the acknowledged report, corosync's confirmations) under this object's lock, which guards
 * nothing slow, so a hung corosync, API server or agent lock cannot keep the device fed.
 */
final class Watchdog implements CorosyncSession.Confirmations, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Watchdog.class);
    private static final Duration RETRY_OPEN = Duration.ofSeconds(10);
    private static final Duration FEED_MIN = Duration.ofMillis(200);
    private static final Duration FEED_MAX = Duration.ofSeconds(2);

    private final String path;
    private final Duration timeout;
    private final Duration feedEvery;
    private final Clock clock;
    private final Runnable onReportChange;
    private final Runnable onProbesWanted;
    private final Thread thread;

    // Guarded by this.
    private Optional<Duration> spec = Optional.empty();
    private Optional<Duration> acknowledged = Optional.empty();
    private Optional<Instant> lastQuorate = Optional.empty();
    private boolean quorate;
    private boolean woken;
    private boolean stopping;
    private boolean magicCloseOnStop;
    private boolean farewell;

    // Feeder thread only.
    private WatchdogDevice device;
    private Optional<String> deviceProblem = Optional.empty();
    private Instant nextOpenAttempt = Instant.MIN;

    private volatile WatchdogFeed state = new WatchdogFeed.Off();
    private volatile int timeoutSeconds;

    /**
     * {@code onReportChange} runs on the feeder thread when the report changes and must not block;
     * {@code onProbesWanted} when corosync should start being asked every {@link WatchdogFeed#PROBE}.
     */
    Watchdog(String path, Duration timeout, Clock clock, Runnable onReportChange, Runnable onProbesWanted) {
        this.path = path;
        this.timeout = timeout;
        this.timeoutSeconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
        Duration quarter = timeout.dividedBy(4);
        this.feedEvery =
                quarter.compareTo(FEED_MIN) < 0 ? FEED_MIN : quarter.compareTo(FEED_MAX) > 0 ? FEED_MAX : quarter;
        this.clock = clock;
        this.onReportChange = onReportChange;
        this.onProbesWanted = onProbesWanted;
        this.thread = new Thread(this::run, "watchdog-feeder");
        this.thread.setDaemon(true);
        this.thread.setPriority(Thread.MAX_PRIORITY);
    }

    void start() {
        thread.start();
    }

    /** The spec's selfFenceAfter; empty turns self-fencing off (disarming only while quorate). */
    void selfFenceAfter(Optional<Duration> after) {
        boolean wanted;
        synchronized (this) {
            if (after.equals(spec)) {
                return;
            }
            wanted = spec.isEmpty() && after.isPresent();
            spec = after;
            wake();
        }
        if (wanted) {
            onProbesWanted.run();
        }
    }

    /** The selfFenceAfter in the status the API server acknowledged last (empty: none). */
    synchronized void acknowledged(Optional<Duration> after) {
        if (!after.equals(acknowledged)) {
            acknowledged = after;
            wake();
        }
    }

    @Override
    public synchronized boolean wanted() {
        return !stopping && (spec.isPresent() || state.holdsDevice());
    }

    @Override
    public Instant now() {
        return clock.instant();
    }

    @Override
    public synchronized void confirmed(Instant asked, boolean quorate) {
        if (quorate && lastQuorate.map(asked::isAfter).orElse(true)) {
            lastQuorate = Optional.of(asked);
        }
        if (quorate != this.quorate || !state.holdsDevice()) {
            wake();
        }
        this.quorate = quorate;
    }

    @Override
    public synchronized void unreachable() {
        quorate = false;
        wake();
    }

    /** The status.watchdog report; empty while self-fencing has never been on. */
    Optional<WatchdogStatus> report() {
        WatchdogFeed current = state;
        boolean leaving;
        synchronized (this) {
            leaving = farewell;
        }
        if (leaving && current instanceof WatchdogFeed.Armed a) {
            current = new WatchdogFeed.Disarmed(
                    Optional.of(a.reported()),
                    "the agent stopped while quorate; the device is closed with the magic close");
        }
        return current.report(path, timeoutSeconds);
    }

    /**
     * A clean stop is coming: while Armed, the report says Disarmed from now on, so the operator
     * stops counting on the device before it is disarmed. Says whether that is so.
     */
    synchronized boolean beginStop() {
        farewell = state instanceof WatchdogFeed.Armed;
        return farewell;
    }

    /**
     * Stops the feeder. The magic close only when {@code disarm} (the Disarmed report was acknowledged)
     * and the node is still confirmed quorate; otherwise the device keeps counting and resets the node.
     */
    void stop(boolean disarm) {
        synchronized (this) {
            stopping = true;
            magicCloseOnStop = disarm;
            wake();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(false);
    }

    private void wake() {
        woken = true;
        notifyAll();
    }

    private synchronized WatchdogFeed.Inputs awaitInputs() throws InterruptedException {
        if (!woken && !stopping) {
            wait(feedEvery.toMillis());
        }
        woken = false;
        return stopping ? null : inputs(Optional.empty());
    }

    private synchronized WatchdogFeed.Inputs inputs(Optional<String> problem) {
        return new WatchdogFeed.Inputs(spec, acknowledged, lastQuorate, quorate, problem);
    }

    private void run() {
        try {
            WatchdogFeed.Inputs in;
            while ((in = awaitInputs()) != null) {
                step(in);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("the watchdog feeder failed; the device is no longer fed", e);
        } finally {
            finish();
        }
    }

    /** One round: decide, open or close the device as the state needs, feed if allowed, report a change. */
    private void step(WatchdogFeed.Inputs in) {
        Instant now = clock.instant();
        WatchdogFeed before = state;
        Optional<String> problem = deviceProblem.filter(p -> now.isBefore(nextOpenAttempt));
        WatchdogFeed next = WatchdogFeed.next(before, with(in, problem), now);
        if (next.holdsDevice() && device == null) {
            try {
                device = WatchdogDevice.open(Path.of(path), timeout);
                timeoutSeconds = device.timeoutSeconds();
                deviceProblem = Optional.empty();
                LOG.infof("watchdog %s armed with a %ds timeout", path, timeoutSeconds);
            } catch (IOException e) {
                failed(e.getMessage(), now);
                next = WatchdogFeed.next(before, with(in, deviceProblem), now);
            }
        }
        if (!next.holdsDevice() && device != null) {
            closeDevice(next instanceof WatchdogFeed.Disarmed);
        }
        if (device != null && next.feeds(clock.instant())) {
            try {
                device.feed();
            } catch (IOException e) {
                failed("feeding " + path + " failed: " + e.getMessage() + "; check the device and its driver", now);
                closeDevice(false);
                next = WatchdogFeed.next(next, with(in, deviceProblem), now);
            }
        }
        if (!sameKind(before, next)) {
            log(before, next);
        }
        Optional<WatchdogStatus> reportBefore = before.report(path, timeoutSeconds);
        state = next;
        if (!Objects.equals(reportBefore, next.report(path, timeoutSeconds))) {
            onReportChange.run();
        }
    }

    private static WatchdogFeed.Inputs with(WatchdogFeed.Inputs in, Optional<String> problem) {
        return new WatchdogFeed.Inputs(in.spec(), in.acknowledged(), in.lastQuorate(), in.quorate(), problem);
    }

    private void failed(String message, Instant now) {
        if (!deviceProblem.equals(Optional.of(message))) {
            LOG.errorf("watchdog unavailable: %s; this node does not count as self-fenced", message);
        }
        deviceProblem = Optional.of(message);
        nextOpenAttempt = now.plus(RETRY_OPEN);
    }

    private void closeDevice(boolean magic) {
        try {
            if (magic) {
                device.disarm();
                LOG.infof("watchdog %s disarmed (magic close)", path);
            } else {
                device.close();
                LOG.warnf("watchdog %s closed without the magic close; it resets the node unless fed again", path);
            }
        } catch (IOException e) {
            LOG.errorf("closing the watchdog %s: %s", path, e.getMessage());
        } finally {
            device = null;
        }
    }

    /** On stop: the magic close only if asked for and still confirmed quorate now. */
    private void finish() {
        if (device == null) {
            return;
        }
        boolean magic;
        synchronized (this) {
            magic = magicCloseOnStop
                    && WatchdogFeed.next(state, inputs(Optional.empty()), clock.instant())
                            instanceof WatchdogFeed.Armed;
        }
        closeDevice(magic);
    }

    private static boolean sameKind(WatchdogFeed a, WatchdogFeed b) {
        return a.getClass() == b.getClass();
    }

    private void log(WatchdogFeed before, WatchdogFeed next) {
        Optional<WatchdogStatus> report = next.report(path, timeoutSeconds);
        String message = report.map(WatchdogStatus::message).orElse("off");
        if (next instanceof WatchdogFeed.Expiring || next instanceof WatchdogFeed.Expired) {
            LOG.warnf("watchdog %s -> %s: %s", name(before), next.state(), message);
        } else {
            LOG.infof("watchdog %s -> %s: %s", name(before), next.state(), message);
        }
    }

    private static String name(WatchdogFeed state) {
        return state instanceof WatchdogFeed.Off ? "Off" : state.state().name();
    }

    /**
     * Wall-clock instants that advance with the monotonic clock, so a clock step cannot stretch the
     * time the device is fed.
     */
    static final class Monotonic extends Clock {
        private final Instant base = Instant.now();
        private final long baseNanos = System.nanoTime();

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return base.plusNanos(System.nanoTime() - baseNanos);
        }
    }
}
