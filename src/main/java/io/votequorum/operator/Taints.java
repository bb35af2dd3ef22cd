package io.votequorum.operator;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.votequorum.model.VoteQuorumApi;

/** The taints the fencing ladder puts on Nodes, and how the operator names them in its record. */
final class Taints {

    static final String INQUORATE = VoteQuorumApi.INQUORATE_TAINT;
    static final String OUT_OF_SERVICE = "node.kubernetes.io/out-of-service";

    static final Taint INQUORATE_NO_SCHEDULE =
            new TaintBuilder().withKey(INQUORATE).withEffect("NoSchedule").build();
    static final Taint INQUORATE_NO_EXECUTE =
            new TaintBuilder().withKey(INQUORATE).withEffect("NoExecute").build();
    static final Taint OUT_OF_SERVICE_TAINT = new TaintBuilder()
            .withKey(OUT_OF_SERVICE)
            .withValue("nodeshutdown")
            .withEffect("NoExecute")
            .build();

    private Taints() {}

    /** key:effect, as the record lists what the operator added. */
    static String id(Taint taint) {
        return taint.getKey() + ":" + taint.getEffect();
    }

    static boolean same(Taint a, Taint b) {
        return a.getKey().equals(b.getKey()) && a.getEffect().equals(b.getEffect());
    }
}
