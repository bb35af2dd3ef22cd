package io.votequorum.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs a command where corosync's client libraries cannot be loaded: in a mount namespace of its own
 * in which the files of libvotequorum and libcmap read as empty (bound over by /dev/null), as on a
 * node with a broken corosync install. The rest of the machine is untouched.
 */
public final class BrokenCorosyncLibraries {

    private BrokenCorosyncLibraries() {}

    /** COMMAND wrapped so that it runs without loadable corosync libraries. */
    public static List<String> around(List<String> command) {
        String hide = Stream.of("libvotequorum.so.8", "libcmap.so.4")
                .map(BrokenCorosyncLibraries::libraryFile)
                .map(file -> "mount --bind /dev/null " + file)
                .collect(Collectors.joining(" && "));
        List<String> wrapped = new ArrayList<>(
                List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", hide + " && exec \"$@\"", "sh"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** The file the dynamic loader opens for SONAME (ldconfig's cache, symbolic links followed). */
    private static String libraryFile(String soname) {
        try {
            Process ldconfig = new ProcessBuilder("ldconfig", "-p").start();
            String cache = new String(ldconfig.getInputStream().readAllBytes());
            ldconfig.waitFor();
            String path = cache.lines()
                    .filter(l -> l.trim().startsWith(soname + " "))
                    .map(l -> l.split("=> ")[1].trim())
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(soname + " is not in ldconfig's cache"));
            return Path.of(path).toRealPath().toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
