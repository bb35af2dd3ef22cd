package io.votequorum.model;

/** votequorum's node states (VOTEQUORUM_NODESTATE_MEMBER, _DEAD, _LEAVING). */
public enum MemberState {
    Member,
    Dead,
    Leaving
}
