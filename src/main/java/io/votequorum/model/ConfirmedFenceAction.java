package io.votequorum.model;

/** What the operator does once a node is known to be fenced (ladder step 3). */
public enum ConfirmedFenceAction {
    /** Add node.kubernetes.io/out-of-service; the controller manager deletes pods and detaches volumes. */
    OutOfServiceTaint,
    /** Force-delete the node's pods and VolumeAttachments directly. */
    ResourceDeletion
}
