package io.votequorum.model;

/** votequorum flags as `corosync-quorumtool -s` names them, spelled as the API shows them. */
public enum QuorumFlag {
    TwoNode,
    Quorate,
    WaitForAll,
    LastManStanding,
    AutoTieBreaker,
    AllowDownscale,
    QdeviceRegistered,
    QdeviceAlive,
    QdeviceCastVote,
    QdeviceMasterWins
}
