package io.votequorum.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.votequorum.model.QuorumStatus;
import org.junit.jupiter.api.Test;

/** The agent's fabric8 serialization reads the watch events of the kinds it watches, and only those. */
class AgentSerializationTest {

    private final KubernetesSerialization serialization = AgentMain.agentSerialization();

    private Object object(String type, String json) {
        return serialization
                .unmarshal("{\"type\":\"" + type + "\",\"object\":" + json + "}", WatchEvent.class)
                .getObject();
    }

    @Test
    void aWatchErrorIsReadAsTheStatusFabric8ActsOn() {
        Object object = object("ERROR", """
                {"apiVersion":"v1","kind":"Status","status":"Failure","reason":"Expired","code":410,
                 "message":"too old resource version: 1 (2)"}""");

        assertThat(object)
                .isInstanceOfSatisfying(
                        Status.class, s -> assertThat(s.getCode()).isEqualTo(410));
    }

    @Test
    void theWatchedKindsAreReadAsTheirClasses() {
        assertThat(object("MODIFIED", """
                        {"apiVersion":"votequorum.io/v1alpha1","kind":"QuorumStatus",
                         "metadata":{"name":"node1","resourceVersion":"7"},"status":{"quorate":true}}""")).isInstanceOf(QuorumStatus.class);
        assertThat(object("MODIFIED", """
                        {"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
                         "metadata":{"name":"node1","namespace":"votequorum-system"},
                         "spec":{"holderIdentity":"node1"}}""")).isInstanceOf(Lease.class);
        assertThat(object("ADDED", """
                        {"apiVersion":"v1","kind":"Node","metadata":{"name":"node1"}}""")).isInstanceOf(Node.class);
    }

    @Test
    void anyOtherKindStaysGenericBecauseNothingWasScanned() {
        Object object = object("ADDED", """
                {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}""");

        assertThat(object).isExactlyInstanceOf(GenericKubernetesResource.class);
    }
}
