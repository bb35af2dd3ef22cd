package io.votequorum.corosync;

import com.sun.jna.Library;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.NativeLongByReference;

/**
 * The raw C API of libcmap (corosync/cmap.h), the part the binding reads, loaded by
 * {@link NativeLibraries}. Only {@link Cmap} uses it, one call on a handle at a time.
 */
interface LibCmap extends Library {

    /** CMAP_KEYNAME_MAXLEN, plus the terminating NUL. */
    int KEYNAME_BUFFER = 256 + 1;

    int CMAP_VALUETYPE_INT8 = 1;
    int CMAP_VALUETYPE_UINT8 = 2;
    int CMAP_VALUETYPE_INT16 = 3;
    int CMAP_VALUETYPE_UINT16 = 4;
    int CMAP_VALUETYPE_INT32 = 5;
    int CMAP_VALUETYPE_UINT32 = 6;
    int CMAP_VALUETYPE_INT64 = 7;
    int CMAP_VALUETYPE_UINT64 = 8;
    int CMAP_VALUETYPE_FLOAT = 9;
    int CMAP_VALUETYPE_DOUBLE = 10;
    int CMAP_VALUETYPE_STRING = 11;
    int CMAP_VALUETYPE_BINARY = 12;

    int cmap_initialize(LongByReference handle);

    int cmap_finalize(long handle);

    /** value may be null to ask for the length and type only; value_len is a size_t. */
    int cmap_get(long handle, String keyName, Pointer value, NativeLongByReference valueLen, IntByReference type);

    int cmap_iter_init(long handle, String prefix, LongByReference iterHandle);

    int cmap_iter_next(
            long handle, long iterHandle, byte[] keyName, NativeLongByReference valueLen, IntByReference type);

    int cmap_iter_finalize(long handle, long iterHandle);

    /** size_t as JNA passes it on LP64 Linux. */
    static NativeLong size(long value) {
        return new NativeLong(value);
    }
}
