package io.votequorum.agent;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * An open watchdog device. A character device (/dev/watchdog) is opened through libc and its timeout
 * set and read back with ioctl; any other path (a regular file or FIFO standing in for one in tests)
 * is opened for appending and keeps the configured timeout. Not thread-safe: the watchdog feeder
 * thread alone opens, feeds and closes it.
 */
final class WatchdogDevice implements AutoCloseable {

    /** Anything but 'V' keeps the device alive; 'V' before close stops it (the magic close). */
    private static final byte KEEPALIVE = '.';

    private static final byte MAGIC_CLOSE = 'V';
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    /** The libc calls for a character device; loaded on first use. */
    interface LibC extends Library {
        int O_WRONLY = 01;
        int O_CLOEXEC = 02000000;
        /** _IOWR('W', 6, int) and _IOR('W', 7, int) from linux/watchdog.h (generic ioctl layout). */
        long WDIOC_SETTIMEOUT = 0xC0045706L;

        long WDIOC_GETTIMEOUT = 0x80045707L;

        int open(String path, int flags) throws LastErrorException;

        int ioctl(int fd, NativeLong request, IntByReference value) throws LastErrorException;

        long write(int fd, byte[] buffer, long count) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final class Lib {
        static final LibC INSTANCE = Native.load("c", LibC.class);
    }

    private final Path path;
    private final int timeoutSeconds;
    private final int fd;
    private final OutputStream standIn;
    private boolean closed;

    private WatchdogDevice(Path path, int timeoutSeconds, int fd, OutputStream standIn) {
        this.path = path;
        this.timeoutSeconds = timeoutSeconds;
        this.fd = fd;
        this.standIn = standIn;
    }

    /** Opens and configures the device, or throws an IOException saying what is wrong and what to do. */
    static WatchdogDevice open(Path path, Duration timeout) throws IOException {
        int wanted = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode");
        } catch (NoSuchFileException e) {
            throw new IOException("no watchdog device at " + path + ": load a watchdog driver (the hardware's, or "
                    + "softdog), give the agent the host's /dev, or set votequorum.agent.watchdog-device");
        } catch (UnsupportedOperationException | IOException e) {
            throw new IOException("cannot inspect the watchdog device " + path + ": " + e.getMessage()
                    + "; check the path and the agent's privileges");
        }
        if ((mode & S_IFMT) != S_IFCHR) {
            try {
                OutputStream out = Files.newOutputStream(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                return new WatchdogDevice(path, wanted, -1, out);
            } catch (IOException e) {
                throw new IOException("cannot open " + path + " for writing: " + e.getMessage()
                        + "; check the path and its permissions");
            }
        }
        return openCharacterDevice(path, wanted);
    }

    private static WatchdogDevice openCharacterDevice(Path path, int wanted) throws IOException {
        LibC libc;
        try {
            libc = Lib.INSTANCE;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IOException("cannot load libc to drive " + path + ": " + e.getMessage());
        }
        int fd;
        try {
            fd = libc.open(path.toString(), LibC.O_WRONLY | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open the watchdog device " + path + ": errno " + e.getErrorCode()
                    + " (" + e.getMessage() + "); another process (wdmd, sbd, systemd's RuntimeWatchdogSec) may "
                    + "hold it, or the agent lacks privileges");
        }
        WatchdogDevice device = null;
        try {
            IntByReference value = new IntByReference(wanted);
            try {
                libc.ioctl(fd, new NativeLong(LibC.WDIOC_SETTIMEOUT), value);
            } catch (LastErrorException e) {
                throw new IOException("the watchdog device " + path + " refused a timeout of " + wanted + "s (errno "
                        + e.getErrorCode() + "); choose a votequorum.agent.watchdog-timeout the driver supports");
            }
            IntByReference actual = new IntByReference();
            try {
                libc.ioctl(fd, new NativeLong(LibC.WDIOC_GETTIMEOUT), actual);
            } catch (LastErrorException e) {
                throw new IOException(
                        "cannot read the timeout of the watchdog device " + path + " (errno " + e.getErrorCode() + ")");
            }
            if (actual.getValue() <= 0) {
                throw new IOException("the watchdog device " + path + " reports a timeout of " + actual.getValue()
                        + "s; it cannot back self-fencing");
            }
            device = new WatchdogDevice(path, actual.getValue(), fd, null);
            return device;
        } finally {
            if (device == null) {
                // Configuring failed: stop it again rather than leave it counting down.
                try {
                    libc.write(fd, new byte[] {MAGIC_CLOSE}, 1);
                } catch (LastErrorException ignored) {
                    // closed below either way
                }
                libc.close(fd);
            }
        }
    }

    Path path() {
        return path;
    }

    /** The timeout in force: what the driver reports, or the configured one for a stand-in. */
    int timeoutSeconds() {
        return timeoutSeconds;
    }

    /** One keep-alive write. */
    void feed() throws IOException {
        write(KEEPALIVE);
    }

    /** Stops the device: the magic close. Only for a node that is quorate, or not fencing itself at all. */
    void disarm() throws IOException {
        try {
            write(MAGIC_CLOSE);
        } finally {
            close();
        }
    }

    /** Closes without the magic character: the device keeps counting and resets the node unless fed again. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (standIn != null) {
            standIn.close();
        } else {
            try {
                Lib.INSTANCE.close(fd);
            } catch (LastErrorException e) {
                throw new IOException("close(" + path + "): errno " + e.getErrorCode());
            }
        }
    }

    private void write(byte b) throws IOException {
        if (closed) {
            throw new IOException("the watchdog device " + path + " is closed");
        }
        if (standIn != null) {
            standIn.write(b);
            standIn.flush();
            return;
        }
        try {
            if (Lib.INSTANCE.write(fd, new byte[] {b}, 1) != 1) {
                throw new IOException("short write to " + path);
            }
        } catch (LastErrorException e) {
            throw new IOException("write to the watchdog device " + path + " failed: errno " + e.getErrorCode());
        }
    }
}
