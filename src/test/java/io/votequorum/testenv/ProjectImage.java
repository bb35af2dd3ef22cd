package io.votequorum.testenv;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The project's image in target/image, as hack/build-image.sh makes it from the packaged jar. */
public final class ProjectImage {

    public static final Path DIR = CorosyncCluster.REPO.resolve("target/image");
    /** The docker-archive that the real nodes import. */
    public static final Path ARCHIVE = DIR.resolve("votequorum-operator.tar");

    private static final Duration BUILD = Duration.ofMinutes(15);

    private ProjectImage() {}

    /** Runs hack/build-image.sh unless target/image is newer than the jar and what the image is built from. */
    public static synchronized void buildIfStale() {
        try {
            Path index = DIR.resolve("oci/index.json");
            List<Path> inputs = List.of(
                    CorosyncCluster.REPO.resolve("target/quarkus-app/quarkus-run.jar"),
                    CorosyncCluster.REPO.resolve("target/quarkus-app/app"),
                    CorosyncCluster.REPO.resolve("src/main/docker/votequorum-operator"),
                    CorosyncCluster.REPO.resolve("hack/build-image.sh"));
            boolean fresh = Files.exists(ARCHIVE) && Files.exists(index);
            for (Path input : inputs) {
                fresh = fresh
                        && Files.getLastModifiedTime(input).compareTo(Files.getLastModifiedTime(ARCHIVE)) <= 0
                        && Files.getLastModifiedTime(input).compareTo(Files.getLastModifiedTime(index)) <= 0;
            }
            if (fresh) {
                return;
            }
            Path log = Files.createDirectories(CorosyncCluster.REPO.resolve("target"))
                    .resolve("build-image.log");
            Process build = new ProcessBuilder(
                            "bash",
                            CorosyncCluster.REPO.resolve("hack/build-image.sh").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!build.waitFor(BUILD.toSeconds(), TimeUnit.SECONDS)) {
                build.destroyForcibly();
                throw new IllegalStateException("hack/build-image.sh did not finish in " + BUILD + "; see " + log);
            }
            if (build.exitValue() != 0) {
                throw new IllegalStateException(
                        "hack/build-image.sh failed; see " + log + ":\n" + Files.readString(log));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot build the project's image: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the project's image", e);
        }
    }
}
