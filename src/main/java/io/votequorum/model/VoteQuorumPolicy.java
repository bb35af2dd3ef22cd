package io.votequorum.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Votes, expected votes and fencing for one corosync cluster, matched by clusterName. */
@Group(VoteQuorumApi.GROUP)
@Version(VoteQuorumApi.VERSION)
@ShortNames(VoteQuorumApi.POLICY_SHORT_NAME)
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".spec.clusterName")
@AdditionalPrinterColumn(name = "Quorate", jsonPath = ".status.conditions[?(@.type==\"Quorate\")].status")
@AdditionalPrinterColumn(
        name = "Members",
        jsonPath = ".status.partition.memberCount",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Spare",
        jsonPath = ".status.partition.votesToSpare",
        type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Fenced", jsonPath = ".status.fencedCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Applied", jsonPath = ".status.conditions[?(@.type==\"Applied\")].status")
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class VoteQuorumPolicy extends CustomResource<VoteQuorumPolicySpec, VoteQuorumPolicyStatus> {

    @Override
    protected VoteQuorumPolicySpec initSpec() {
        return new VoteQuorumPolicySpec();
    }

    @Override
    protected VoteQuorumPolicyStatus initStatus() {
        return new VoteQuorumPolicyStatus();
    }
}
