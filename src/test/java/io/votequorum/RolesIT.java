package io.votequorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.votequorum.model.QuorumStatus;
import io.votequorum.testenv.BrokenCorosyncLibraries;
import io.votequorum.testenv.KubeApiServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Starts the packaged jar the way a pod or a person on a node would, one role at a time. */
class RolesIT {

    private static final Path JAR = Path.of(System.getProperty("votequorum.jar", "target/quarkus-app/quarkus-run.jar"));

    // The operator role talks to an API server: a real one on loopback, never whatever the machine points at.
    private static KubeApiServer api;
    private static Path kubeconfig;

    @BeforeAll
    static void startApiServer() throws IOException {
        api = KubeApiServer.start().withCrds();
        api.client()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("votequorum-system")
                        .endMetadata()
                        .build())
                .create();
        kubeconfig = Files.createTempFile("roles-kubeconfig", ".yaml");
        Files.writeString(kubeconfig, api.kubeconfig());
    }

    @AfterAll
    static void stopApiServer() throws IOException {
        if (api != null) {
            api.close();
        }
        Files.deleteIfExists(kubeconfig);
    }

    private static ProcessBuilder withCluster(ProcessBuilder pb) {
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().remove("NODE_NAME");
        return pb;
    }

    private static Process launch(Path output, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=0",
                "-jar",
                JAR.toString()));
        command.addAll(List.of(args));
        return withCluster(new ProcessBuilder(command))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
    }

    @ParameterizedTest
    @ValueSource(strings = {"agent", "operator"})
    void longRunningRoleSaysWhichItIsAndExitsCleanlyOnSigterm(String role) throws Exception {
        Path output = Files.createTempFile("role-" + role, ".log");
        Process process = launch(output, role);
        try {
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() ->
                            assertThat(Files.readString(output)).contains("votequorum-operator running as " + role));

            process.destroy(); // SIGTERM

            assertThat(process.waitFor(30, TimeUnit.SECONDS))
                    .as("exited after SIGTERM")
                    .isTrue();
            assertThat(process.exitValue()).as("exit code after SIGTERM").isZero();
            assertThat(Files.readString(output)).contains(role + " stopped");
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void anOperatorThatLosesTheLeaderLeaseExitsWithAnErrorAndOneThatStopsExitsCleanly() throws Exception {
        Path output = Files.createTempFile("role-leader", ".log");
        Process process = launch(output, "operator");
        try {
            awaitLeading(process);
            // Another holder takes the Lease, as a replica would once this one stopped renewing it.
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                api.client()
                        .leases()
                        .inNamespace("votequorum-system")
                        .withName("votequorum-operator")
                        .edit(l -> {
                            l.getSpec().setHolderIdentity("another-replica");
                            l.getSpec().setLeaseDurationSeconds(300);
                            l.getSpec().setRenewTime(ZonedDateTime.now());
                            return l;
                        });
                return true;
            });

            assertThat(process.waitFor(60, TimeUnit.SECONDS))
                    .as("exited after losing the Lease")
                    .isTrue();
            assertThat(process.exitValue()).isEqualTo(1);
            assertThat(Files.readString(output)).contains("lost the leader Lease votequorum-operator while running");
        } finally {
            process.destroyForcibly();
            api.client()
                    .leases()
                    .inNamespace("votequorum-system")
                    .withName("votequorum-operator")
                    .delete();
        }

        // Stopped while leading: the Lease given up on the way out is no loss.
        Path second = Files.createTempFile("role-leader", ".log");
        Process next = launch(second, "operator");
        try {
            awaitLeading(next);
            next.destroy(); // SIGTERM
            assertThat(next.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(next.exitValue()).as(Files.readString(second)).isZero();
            assertThat(Files.readString(second)).doesNotContain("lost the leader Lease");
        } finally {
            next.destroyForcibly();
        }
    }

    @Test
    void anAgentWithoutCorosyncsLibrariesRunsOnSaysWhichToInstallAndIsNotReady() throws Exception {
        Path output = Files.createTempFile("role-agent-nolib", ".log");
        ProcessBuilder pb = withCluster(new ProcessBuilder(BrokenCorosyncLibraries.around(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=0",
                "-jar",
                JAR.toString(),
                "agent"))));
        pb.environment().put("NODE_NAME", "nolib");
        Process process =
                pb.redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                Condition reachable = api
                        .client()
                        .resources(QuorumStatus.class)
                        .withName("nolib")
                        .get()
                        .getStatus()
                        .getConditions()
                        .stream()
                        .filter(c -> "CorosyncReachable".equals(c.getType()))
                        .findFirst()
                        .orElseThrow();
                assertThat(reachable.getStatus()).isEqualTo("False");
                assertThat(reachable.getReason()).isEqualTo("CorosyncLibraryMissing");
                assertThat(reachable.getMessage()).contains("cannot be loaded: install corosync's client library");
            });
            // It keeps trying, and every try says the same: no class-initialisation error on the second.
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> assertThat(Files.readString(output)).contains("corosync unreachable: lib"));
            Thread.sleep(5_000);
            assertThat(process.isAlive()).as(Files.readString(output)).isTrue();
            assertThat(Files.readString(output)).doesNotContain("ExceptionInInitializerError", "NoClassDefFoundError");
            Matcher port = Pattern.compile("Listening on: http://[^:]+:(\\d+)").matcher(Files.readString(output));
            assertThat(port.find()).isTrue();
            HttpResponse<String> ready = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.group(1) + "/q/health/ready"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
        } finally {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
            process.destroyForcibly();
            api.client().resources(QuorumStatus.class).withName("nolib").delete();
        }
    }

    /**
     * Until the Lease names this process (identity host-pid). A Lease left by an operator stopped in an
     * earlier test names that one for up to its duration, so "New leader" alone is not this process leading.
     */
    private static void awaitLeading(Process process) {
        await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(api.client()
                                .leases()
                                .inNamespace("votequorum-system")
                                .withName("votequorum-operator")
                                .get()
                                .getSpec()
                                .getHolderIdentity())
                        .endsWith("-" + process.pid()));
    }

    @Test
    void roleCanComeFromConfigurationInsteadOfTheFirstArgument() throws Exception {
        Path output = Files.createTempFile("role-config", ".log");
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=0",
                "-Dvotequorum.role=agent",
                "-jar",
                JAR.toString());
        Process process = withCluster(new ProcessBuilder(command))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() ->
                            assertThat(Files.readString(output)).contains("votequorum-operator running as agent"));
        } finally {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
            process.destroyForcibly();
        }
    }

    @Test
    void statusRoleRunsTheNodeCommand() throws Exception {
        Path output = Files.createTempFile("role-status", ".log");
        Process process = launch(output, "status");

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(output))
                .contains("votequorum-operator status:")
                .doesNotContain("Listening on");
    }

    @Test
    void unknownRoleExitsNonZeroListingTheValidOnes() throws Exception {
        Path output = Files.createTempFile("role-unknown", ".log");
        Process process = launch(output, "fencer");

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(Main.EXIT_USAGE);
        assertThat(Files.readString(output))
                .contains("unknown role 'fencer'")
                .contains("Valid roles: agent, operator, status");
    }
}
