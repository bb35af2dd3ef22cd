package io.votequorum.model;

/** How far along the fencing ladder a node is. */
public enum FenceStage {
    /** Step 1: cordoned and tainted NoSchedule. */
    Cordoned,
    /** Step 2: pods evicted and tainted NoExecute. */
    Evicted,
    /** Step 3: fencing confirmed; out-of-service taint or forced deletion done. */
    Fenced
}
