package io.votequorum.corosync;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.util.List;

/** Loads corosync's client libraries by their ABI soname, with a message that names the package. */
final class NativeLibraries {

    private NativeLibraries() {
    }

    static <T extends Library> T load(Class<T> type, String soname, String debianPackage, String rpmPackage) {
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
        throw new CorosyncLibraryException(soname + " cannot be loaded: install corosync's client library ("
                + debianPackage + " on Debian and Ubuntu, " + rpmPackage + " on Fedora and RHEL) on this node. "
                + "JNA said: " + first.getMessage(), first);
    }
}
