package io.votequorum.corosync;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;

/**
 * The raw C API of libvotequorum (corosync/votequorum.h), loaded by {@link NativeLibraries}. Only
 * {@link Votequorum} uses it, one call on a handle at a time.
 */
interface LibVotequorum extends Library {

    int VOTEQUORUM_QDEVICE_MAX_NAME_LEN = 255;

    /** struct votequorum_info */
    @Structure.FieldOrder({
        "node_id",
        "node_state",
        "node_votes",
        "node_expected_votes",
        "highest_expected",
        "total_votes",
        "quorum",
        "flags",
        "qdevice_votes",
        "qdevice_name"
    })
    class votequorum_info extends Structure {
        public int node_id;
        public int node_state;
        public int node_votes;
        public int node_expected_votes;
        public int highest_expected;
        public int total_votes;
        public int quorum;
        public int flags;
        public int qdevice_votes;
        public byte[] qdevice_name = new byte[VOTEQUORUM_QDEVICE_MAX_NAME_LEN];

        int offsetOf(String field) {
            return fieldOffset(field);
        }
    }

    /** votequorum_node_t */
    @Structure.FieldOrder({"nodeid", "state"})
    class votequorum_node_t extends Structure {
        public int nodeid;
        public int state;

        votequorum_node_t() {}

        votequorum_node_t(Pointer p) {
            super(p);
            read();
        }

        int offsetOf(String field) {
            return fieldOffset(field);
        }
    }

    /** votequorum_ring_id_t, passed by value to the nodelist callback and to qdevice_poll. */
    @Structure.FieldOrder({"nodeid", "seq"})
    class votequorum_ring_id_t extends Structure implements Structure.ByValue {
        public int nodeid;
        public long seq;

        int offsetOf(String field) {
            return fieldOffset(field);
        }
    }

    interface votequorum_quorum_notification_fn_t extends Callback {
        void invoke(long handle, long context, int quorate, int nodeListEntries, Pointer nodeList);
    }

    interface votequorum_nodelist_notification_fn_t extends Callback {
        void invoke(long handle, long context, votequorum_ring_id_t ringId, int nodeListEntries, Pointer nodeList);
    }

    interface votequorum_expectedvotes_notification_fn_t extends Callback {
        void invoke(long handle, long context, int expectedVotes);
    }

    /** votequorum_callbacks_t */
    @Structure.FieldOrder({
        "votequorum_quorum_notify_fn",
        "votequorum_expectedvotes_notify_fn",
        "votequorum_nodelist_notify_fn"
    })
    class votequorum_callbacks_t extends Structure {
        public votequorum_quorum_notification_fn_t votequorum_quorum_notify_fn;
        public votequorum_expectedvotes_notification_fn_t votequorum_expectedvotes_notify_fn;
        public votequorum_nodelist_notification_fn_t votequorum_nodelist_notify_fn;
    }

    int votequorum_initialize(LongByReference handle, votequorum_callbacks_t callbacks);

    int votequorum_finalize(long handle);

    int votequorum_dispatch(long handle, int dispatchTypes);

    int votequorum_fd_get(long handle, IntByReference fd);

    int votequorum_getinfo(long handle, int nodeid, votequorum_info info);

    int votequorum_setexpected(long handle, int expectedVotes);

    int votequorum_setvotes(long handle, int nodeid, int votes);

    int votequorum_trackstart(long handle, long context, int flags);

    int votequorum_trackstop(long handle);

    int votequorum_qdevice_register(long handle, String name);

    int votequorum_qdevice_unregister(long handle, String name);

    int votequorum_qdevice_update(long handle, String oldname, String newname);

    int votequorum_qdevice_poll(long handle, String name, int castVote, votequorum_ring_id_t ringId);

    int votequorum_qdevice_master_wins(long handle, String name, int allow);
}
