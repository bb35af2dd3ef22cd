package io.votequorum.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Equality of API objects by what the API server would store: their JSON. The spec and status
 * classes take equals and hashCode from here, so a field added later can never be left out of
 * "write only on change".
 */
public final class Serialised {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Serialised() {}

    public static boolean same(Object a, Object b) {
        return a == b || a != null && b != null && a.getClass() == b.getClass() && tree(a).equals(tree(b));
    }

    public static int hash(Object o) {
        return o == null ? 0 : tree(o).hashCode();
    }

    private static JsonNode tree(Object o) {
        return JSON.valueToTree(o);
    }
}
