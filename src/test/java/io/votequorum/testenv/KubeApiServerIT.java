package io.votequorum.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.BoundObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API server is configured as a production one: RBAC, admission policies, bound tokens. */
class KubeApiServerIT {

    private static final String NAMESPACE = "votequorum-system";
    private static KubeApiServer api;
    private static KubernetesClient admin;

    @BeforeAll
    static void start() {
        api = KubeApiServer.start();
        admin = api.client();
        admin.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        admin.resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName("agent")
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .build())
                .create();
        admin.resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName("node1")
                        .endMetadata()
                        .build())
                .create();
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void serviceAccountTokenBoundToAPodCarriesItsNodeAndRbacAppliesToIt() throws Exception {
        Pod pod = admin.resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("agent-node1")
                        .withNamespace(NAMESPACE)
                        .endMetadata()
                        .withNewSpec()
                        .withServiceAccountName("agent")
                        .withNodeName("node1")
                        .addNewContainer()
                        .withName("agent")
                        .withImage("votequorum-operator")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();

        TokenRequest issued = admin.serviceAccounts()
                .inNamespace(NAMESPACE)
                .withName("agent")
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .withBoundObjectRef(new BoundObjectReferenceBuilder()
                                .withKind("Pod")
                                .withApiVersion("v1")
                                .withName(pod.getMetadata().getName())
                                .withUid(pod.getMetadata().getUid())
                                .build())
                        .endSpec()
                        .build());
        String token = issued.getStatus().getToken();

        JsonNode claims = new ObjectMapper()
                .readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1].getBytes(StandardCharsets.US_ASCII)));
        assertThat(claims.at("/kubernetes.io/node/name").asText())
                .as("node-name claim")
                .isEqualTo("node1");
        assertThat(claims.at("/kubernetes.io/pod/name").asText()).isEqualTo("agent-node1");

        Config asAgent = new ConfigBuilder(Config.fromKubeconfig(api.kubeconfig()))
                .withClientCertData(null)
                .withClientKeyData(null)
                .withClientCertFile(null)
                .withClientKeyFile(null)
                .withOauthToken(token)
                .build();
        try (KubernetesClient agent =
                new KubernetesClientBuilder().withConfig(asAgent).build()) {
            assertThatThrownBy(() -> agent.nodes().list())
                    .isInstanceOf(KubernetesClientException.class)
                    .satisfies(e -> assertThat(((KubernetesClientException) e).getCode())
                            .isEqualTo(403))
                    .hasMessageContaining("system:serviceaccount:" + NAMESPACE + ":agent");
        }
    }

    @Test
    void validatingAdmissionPoliciesAreEnforced() {
        admin.resource(Serialization.unmarshal(
                        """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: no-forbidden-configmaps}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                      - apiGroups: [""]
                        apiVersions: ["v1"]
                        operations: ["CREATE"]
                        resources: ["configmaps"]
                  validations:
                    - expression: "!object.metadata.name.startsWith('forbidden')"
                      message: "forbidden configmaps are not allowed"
                """, io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class))
                .create();
        admin.resource(Serialization.unmarshal(
                        """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: no-forbidden-configmaps}
                spec:
                  policyName: no-forbidden-configmaps
                  validationActions: [Deny]
                """,
                        io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding
                                .class))
                .create();

        // The policy takes effect once the API server's policy informer has it.
        await().untilAsserted(() -> assertThatThrownBy(() -> admin.configMaps()
                        .inNamespace(NAMESPACE)
                        .resource(new ConfigMapBuilder()
                                .withNewMetadata()
                                .withName("forbidden-" + System.nanoTime())
                                .endMetadata()
                                .build())
                        .create())
                .hasMessageContaining("forbidden configmaps are not allowed"));
        assertThat(admin.configMaps()
                        .inNamespace(NAMESPACE)
                        .resource(new ConfigMapBuilder()
                                .withNewMetadata()
                                .withName("allowed")
                                .endMetadata()
                                .build())
                        .create())
                .isNotNull();
    }
}
