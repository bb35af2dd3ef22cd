package io.votequorum.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One node's view of corosync quorum. Named after the Kubernetes node; the agent on that node owns
 * the status, the operator owns the spec.
 */
@Group(VoteQuorumApi.GROUP)
@Version(VoteQuorumApi.VERSION)
@ShortNames(VoteQuorumApi.QUORUM_STATUS_SHORT_NAME)
@AdditionalPrinterColumn(name = "NodeID", jsonPath = ".status.nodeId", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Quorate", jsonPath = ".status.quorate", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Votes", jsonPath = ".status.nodeVotes", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Expected",
        jsonPath = ".status.expectedVotes",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Total", jsonPath = ".status.totalVotes", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Quorum", jsonPath = ".status.quorum", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Members",
        jsonPath = ".status.memberCount",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ring", jsonPath = ".status.ringId.seq", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Device",
        jsonPath = ".status.deviceLease.casting",
        type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class QuorumStatus extends CustomResource<QuorumStatusSpec, QuorumStatusStatus> {

    @Override
    protected QuorumStatusSpec initSpec() {
        return new QuorumStatusSpec();
    }

    @Override
    protected QuorumStatusStatus initStatus() {
        return new QuorumStatusStatus();
    }
}
