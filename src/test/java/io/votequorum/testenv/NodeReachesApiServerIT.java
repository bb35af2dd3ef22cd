package io.votequorum.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A process on a corosync node, like an agent, reaches the API server over the bridge and trusts its certificate. */
class NodeReachesApiServerIT {

    @Test
    void kubectlInsideANodeNamespaceTalksToTheApiServerOverTheBridge() throws Exception {
        try (KubeApiServer api = KubeApiServer.start().withCrds();
                CorosyncCluster cluster = CorosyncCluster.builder().nodes(1).start()) {
            Path kubeconfig = Files.createTempFile("node1-kubeconfig", ".yaml");
            try {
                Files.writeString(kubeconfig, api.kubeconfigVia(CorosyncCluster.HOST_ADDRESS));
                String kubectl =
                        KubeApiServer.Binaries.locate().dir().resolve("kubectl").toString();

                CorosyncCluster.Result ready =
                        cluster.exec(1, kubectl, "--kubeconfig", kubeconfig.toString(), "get", "--raw", "/readyz");
                assertThat(ready.exitCode()).as(ready.output()).isZero();
                assertThat(ready.output()).contains("ok");

                CorosyncCluster.Result crds =
                        cluster.exec(1, kubectl, "--kubeconfig", kubeconfig.toString(), "get", "crd", "-o", "name");
                assertThat(crds.output()).contains("quorumstatuses.votequorum.io", "votequorumpolicies.votequorum.io");
            } finally {
                Files.deleteIfExists(kubeconfig);
            }
        }
    }
}
