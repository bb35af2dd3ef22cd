package io.votequorum.model;

/** Whether the operator fences: not at all, only on paper (Events and status), or for real. */
public enum FencingMode {
    Disabled,
    DryRun,
    Enforce
}
