package io.votequorum.corosync;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;

/** The few libc calls the dispatch thread needs to sleep on corosync's fd and be woken to stop. */
interface LibC extends Library {

    LibC INSTANCE = Native.load("c", LibC.class);

    short POLLIN = 0x001;
    short POLLERR = 0x008;
    short POLLHUP = 0x010;
    short POLLNVAL = 0x020;
    int EINTR = 4;

    /** struct pollfd */
    @Structure.FieldOrder({"fd", "events", "revents"})
    class pollfd extends Structure {
        public int fd;
        public short events;
        public short revents;
    }

    int poll(pollfd[] fds, int nfds, int timeout);

    int pipe(int[] fds);

    int write(int fd, byte[] buffer, long count);

    int close(int fd);
}
