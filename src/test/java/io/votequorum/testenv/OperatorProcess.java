package io.votequorum.testenv;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged jar started as {@code operator} against a kubeconfig, with its output in its own log. */
public final class OperatorProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Listening on: http://0\\.0\\.0\\.0:(\\d+)");

    private final Path log;
    private final Process process;

    private OperatorProcess(Path log, Process process) {
        this.log = log;
        this.process = process;
    }

    /** Starts an operator replica; its identity is its pid, its HTTP port a free one. */
    public static OperatorProcess start(Path kubeconfig, String namespace, Path logDir, List<String> jvmOptions)
            throws IOException {
        Files.createDirectories(logDir);
        Path log = logDir.resolve("operator-" + System.nanoTime() + ".log");
        List<String> command = new ArrayList<>(List.of(AgentProcess.JAVA));
        command.addAll(jvmOptions);
        command.addAll(List.of("-Dquarkus.http.port=0", "-jar", AgentProcess.JAR.toString(), "operator"));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
        builder.environment().put("POD_NAMESPACE", namespace);
        return new OperatorProcess(log, builder.start());
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** The operator's Prometheus metrics, from the port it logged when it started. */
    public String metrics() throws IOException, InterruptedException {
        Matcher port = LISTENING.matcher(log());
        if (!port.find()) {
            throw new IllegalStateException("the operator has not logged its HTTP port yet; see " + log);
        }
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.group(1) + "/q/metrics"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** SIGKILL, as a crashed pod: no chance to release the leader Lease. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, as Kubernetes stops a pod. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
