package io.votequorum.pacemaker;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The part of Pacemaker's fencer client library (crm/stonith-ng.h, libstonithd.so.26, Pacemaker 2.1)
 * that reads the fencing history. Only {@link FenceHistory} uses it.
 */
interface LibStonithd extends Library {

    /** enum stonith_call_options: wait for the answer. */
    int ST_OPT_SYNC_CALL = 0x00001000;

    /** Byte offset of {@code cmds} in struct stonith_s: state, call_id, call_timeout, padding, st_private. */
    int CMDS_OFFSET = 24;

    /** Index of {@code history} among the function pointers of stonith_api_operations_t. */
    int HISTORY_INDEX = 15;

    /** pcmk_ok. */
    int OK = 0;

    Pointer stonith_api_new();

    void stonith_api_delete(Pointer st);

    int stonith_api_connect_retry(Pointer st, String name, int maxAttempts);

    void stonith_history_free(Pointer history);

    /** struct stonith_history_s, one entry of the history's linked list. */
    @Structure.FieldOrder({
        "target",
        "action",
        "origin",
        "delegate",
        "client",
        "state",
        "completed",
        "next",
        "completedNsec",
        "exitReason"
    })
    class HistoryEntry extends Structure {
        public String target;
        public String action;
        public String origin;
        public String delegate;
        public String client;
        public int state;
        /** time_t. */
        public long completed;

        public Pointer next;
        /** long. */
        public long completedNsec;

        public String exitReason;

        HistoryEntry(Pointer at) {
            super(at);
            read();
        }
    }
}
