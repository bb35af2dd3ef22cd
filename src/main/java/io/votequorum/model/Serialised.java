package io.votequorum.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Arrays;

/**
 * Equality of API objects by what the API server would store: their JSON. The spec and status
 * classes take equals and hashCode from here, so a field added later can never be left out of
 * "write only on change". Map entries are written in key order, so equal maps give equal bytes.
 */
public final class Serialised {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectWriter WRITER = JSON.writer();

    private Serialised() {}

    public static boolean same(Object a, Object b) {
        return a == b || a != null && b != null && a.getClass() == b.getClass() && Arrays.equals(bytes(a), bytes(b));
    }

    /** A deep copy, by way of its JSON. */
    public static <T> T copy(T value, Class<T> type) {
        return JSON.convertValue(value, type);
    }

    public static int hash(Object o) {
        return o == null ? 0 : Arrays.hashCode(bytes(o));
    }

    /** The JSON an object is compared by: kept by whoever compares one object many times. */
    public static byte[] json(Object o) {
        return o == null ? null : bytes(o);
    }

    private static byte[] bytes(Object o) {
        try {
            return WRITER.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + o.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
