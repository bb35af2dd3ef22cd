package io.votequorum.corosync;

import com.sun.jna.Native;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.jboss.logging.Logger;

/**
 * The one thread that owns a handle's dispatch. Its stack is large because votequorum_dispatch keeps
 * a 1 MiB receive buffer on the stack, more than a default Java thread has. In its loop it sleeps in
 * poll(2) on corosync's fd and on a wake-up pipe, so it costs nothing while corosync is quiet and
 * stops as soon as it is told to.
 */
final class Dispatcher {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class);
    static final long STACK_BYTES = 8L << 20;
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final int[] wakePipe = new int[2];
    private final ExecutorService executor;
    private volatile Thread thread;
    private Future<?> loop;

    Dispatcher() {
        this.executor = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(null, task, "votequorum-dispatch", STACK_BYTES);
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    /** Runs one dispatch call on the dispatch thread and waits for it. */
    int call(IntSupplier dispatch) {
        if (loop != null) {
            throw new IllegalStateException("the dispatch thread owns dispatch; read events instead");
        }
        try {
            return executor.submit(dispatch::getAsInt).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dispatching", e);
        }
    }

    /**
     * Starts the loop: wait for corosync's fd, run {@code dispatchPending}, repeat until it returns
     * false, the fd reports a hang-up ({@code onHangup} runs), or {@link #stop} is called.
     */
    void startLoop(int corosyncFd, BooleanSupplier dispatchPending, Runnable onHangup) {
        if (LibC.INSTANCE.pipe(wakePipe) != 0) {
            throw new IllegalStateException("pipe(2) failed: errno " + Native.getLastError());
        }
        loop = executor.submit(() -> run(corosyncFd, dispatchPending, onHangup));
    }

    Thread thread() {
        return thread;
    }

    /** Wakes the loop, waits for the thread to end and releases the pipe. */
    void stop() {
        if (loop != null) {
            LibC.INSTANCE.write(wakePipe[1], new byte[] {1}, 1);
        }
        executor.shutdown();
        if (Thread.currentThread() != thread) {
            try {
                if (loop != null) {
                    loop.get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
                executor.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warnf("the votequorum dispatch thread did not stop cleanly: %s", e);
            }
        }
        if (loop != null && executor.isTerminated()) {
            LibC.INSTANCE.close(wakePipe[0]);
            LibC.INSTANCE.close(wakePipe[1]);
        }
    }

    private void run(int corosyncFd, BooleanSupplier dispatchPending, Runnable onHangup) {
        LibC.pollfd[] fds = (LibC.pollfd[]) new LibC.pollfd().toArray(2);
        fds[0].fd = corosyncFd;
        fds[1].fd = wakePipe[0];
        while (true) {
            for (LibC.pollfd fd : fds) {
                fd.events = LibC.POLLIN;
                fd.revents = 0;
            }
            int ready = LibC.INSTANCE.poll(fds, fds.length, -1);
            if (ready < 0) {
                int errno = Native.getLastError();
                if (errno == LibC.EINTR) {
                    continue;
                }
                LOG.errorf("poll(2) on corosync's fd failed: errno %d", errno);
                onHangup.run();
                return;
            }
            if (fds[1].revents != 0) {
                return;
            }
            if (fds[0].revents != 0 && !dispatchPending.getAsBoolean()) {
                return; // dispatch failed and queued the broken connection as an event
            }
            if ((fds[0].revents & (LibC.POLLHUP | LibC.POLLERR | LibC.POLLNVAL)) != 0) {
                onHangup.run();
                return;
            }
        }
    }
}
