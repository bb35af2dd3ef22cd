package io.votequorum.corosync;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.List;

/**
 * Loads corosync's client libraries by their ABI soname, on first use rather than when a class is
 * initialised: while a library cannot be loaded, every use throws {@link CorosyncLibraryException}
 * naming the package to install (never an {@code ExceptionInInitializerError}), and a library that
 * appears later is loaded then. Safe from any thread.
 */
final class NativeLibraries {

    private static volatile LibVotequorum votequorum;
    private static volatile LibCmap cmap;

    private NativeLibraries() {}

    static LibVotequorum votequorum() {
        LibVotequorum lib = votequorum;
        if (lib == null) {
            lib = load(LibVotequorum.class, "libvotequorum.so.8", "libvotequorum8", "corosynclib");
            votequorum = lib;
        }
        return lib;
    }

    static LibCmap cmap() {
        LibCmap lib = cmap;
        if (lib == null) {
            lib = load(LibCmap.class, "libcmap.so.4", "libcmap4", "corosynclib");
            cmap = lib;
        }
        return lib;
    }

    private static <T extends Library> T load(Class<T> type, String soname, String debianPackage, String rpmPackage) {
        UnsatisfiedLinkError first = null;
        // The soname pins the ABI the structures are laid out for; the bare name finds a -dev symlink.
        for (String name : List.of(soname, soname.replaceFirst("^lib", "").replaceFirst("\\.so.*$", ""))) {
            try {
                return Native.load(name, type);
            } catch (UnsatisfiedLinkError e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        throw new CorosyncLibraryException(
                soname + " cannot be loaded: install corosync's client library ("
                        + debianPackage + " on Debian and Ubuntu, " + rpmPackage + " on Fedora and RHEL) on this node. "
                        + "JNA said: " + first.getMessage(),
                first);
    }
}
