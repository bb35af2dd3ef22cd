package io.votequorum.corosync;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.NativeLongByReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A read-only connection to corosync's configuration and runtime map (libcmap). Threads: any; calls
 * are serialised on the handle (cmap has no callbacks here, so nothing waits on a retry).
 */
public final class Cmap implements AutoCloseable {

    private final LibCmap lib = NativeLibraries.cmap();
    private final long handle;
    private boolean closed;

    private Cmap() {
        LongByReference ref = new LongByReference();
        CsCall.check("cmap_initialize", () -> lib.cmap_initialize(ref));
        handle = ref.getValue();
    }

    public static Cmap connect() {
        return new Cmap();
    }

    /**
     * The value of a key: a Long for the integer types, a Double for float and double, a String, or
     * a byte[] for binary. Empty when the key does not exist.
     */
    public synchronized Optional<Object> get(String key) {
        ensureOpen();
        NativeLongByReference length = new NativeLongByReference();
        IntByReference type = new IntByReference();
        int code = CsCall.invoke(() -> lib.cmap_get(handle, key, null, length, type));
        if (code == CsError.CS_ERR_NOT_EXIST.code()) {
            return Optional.empty();
        }
        CsCall.check("cmap_get(" + key + ")", code);
        long size = Math.max(1, length.getValue().longValue());
        Memory value = new Memory(size);
        length.setValue(LibCmap.size(size));
        code = CsCall.invoke(() -> lib.cmap_get(handle, key, value, length, type));
        if (code == CsError.CS_ERR_NOT_EXIST.code()) {
            return Optional.empty(); // removed between the two calls
        }
        CsCall.check("cmap_get(" + key + ")", code);
        return Optional.of(decode(type.getValue(), value, length.getValue().longValue()));
    }

    public Optional<String> string(String key) {
        return get(key).map(String::valueOf);
    }

    /** An integer key; empty when missing or not a number. */
    public OptionalLong number(String key) {
        Optional<Object> value = get(key);
        return value.isPresent() && value.get() instanceof Long n ? OptionalLong.of(n) : OptionalLong.empty();
    }

    /** A 0/1 option such as quorum.two_node; false when not set. */
    public boolean flag(String key) {
        Optional<Object> value = get(key);
        if (value.isEmpty()) {
            return false;
        }
        Object v = value.get();
        return v instanceof Long n
                ? n != 0
                : "1".equals(v)
                        || "yes".equalsIgnoreCase(String.valueOf(v))
                        || "on".equalsIgnoreCase(String.valueOf(v));
    }

    /** Every key that starts with the prefix, in corosync's order. */
    public synchronized List<String> keys(String prefix) {
        ensureOpen();
        LongByReference iterator = new LongByReference();
        CsCall.check("cmap_iter_init(" + prefix + ")", () -> lib.cmap_iter_init(handle, prefix, iterator));
        List<String> keys = new ArrayList<>();
        try {
            byte[] name = new byte[LibCmap.KEYNAME_BUFFER];
            NativeLongByReference length = new NativeLongByReference();
            IntByReference type = new IntByReference();
            while (true) {
                int code = CsCall.invoke(() -> lib.cmap_iter_next(handle, iterator.getValue(), name, length, type));
                if (code == CsError.CS_ERR_NO_SECTIONS.code()) {
                    return keys;
                }
                CsCall.check("cmap_iter_next(" + prefix + ")", code);
                keys.add(Native.toString(name, StandardCharsets.UTF_8.name()));
            }
        } finally {
            lib.cmap_iter_finalize(handle, iterator.getValue());
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            lib.cmap_finalize(handle);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this cmap handle is closed; connect again");
        }
    }

    private static Object decode(int type, Memory value, long length) {
        return switch (type) {
            case LibCmap.CMAP_VALUETYPE_INT8 -> (long) value.getByte(0);
            case LibCmap.CMAP_VALUETYPE_UINT8 -> (long) Byte.toUnsignedInt(value.getByte(0));
            case LibCmap.CMAP_VALUETYPE_INT16 -> (long) value.getShort(0);
            case LibCmap.CMAP_VALUETYPE_UINT16 -> (long) Short.toUnsignedInt(value.getShort(0));
            case LibCmap.CMAP_VALUETYPE_INT32 -> (long) value.getInt(0);
            case LibCmap.CMAP_VALUETYPE_UINT32 -> Integer.toUnsignedLong(value.getInt(0));
            case LibCmap.CMAP_VALUETYPE_INT64, LibCmap.CMAP_VALUETYPE_UINT64 -> value.getLong(0);
            case LibCmap.CMAP_VALUETYPE_FLOAT -> (double) value.getFloat(0);
            case LibCmap.CMAP_VALUETYPE_DOUBLE -> value.getDouble(0);
            case LibCmap.CMAP_VALUETYPE_STRING -> value.getString(0, StandardCharsets.UTF_8.name());
            default -> value.getByteArray(0, (int) length);
        };
    }
}
