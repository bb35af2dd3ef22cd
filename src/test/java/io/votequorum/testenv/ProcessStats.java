package io.votequorum.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A process's resident memory (now, its peak, and the anonymous and file-backed parts of it) and CPU
 * time so far, from /proc, as the benchmarks report them.
 */
public record ProcessStats(long rssKiB, long peakKiB, long anonKiB, long fileKiB, long cpuTicks) {

    private static final double TICKS_PER_SECOND = 100.0;

    public static ProcessStats of(ProcessHandle process) {
        Path proc = Path.of("/proc", String.valueOf(process.pid()));
        try {
            List<String> status = Files.readAllLines(proc.resolve("status"));
            String stat = Files.readString(proc.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new ProcessStats(
                    kiB(status, "VmRSS:"),
                    kiB(status, "VmHWM:"),
                    kiB(status, "RssAnon:"),
                    kiB(status, "RssFile:") + kiB(status, "RssShmem:"),
                    Long.parseLong(fields[11]) + Long.parseLong(fields[12])); // utime + stime
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + proc, e);
        }
    }

    private static long kiB(List<String> status, String field) {
        return status.stream()
                .filter(l -> l.startsWith(field))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + field + " in /proc/<pid>/status"));
    }

    public double rssMiB() {
        return rssKiB / 1024.0;
    }

    /** CPU seconds used since {@code earlier}, a reading of the same process. */
    public double cpuSecondsSince(ProcessStats earlier) {
        return (cpuTicks - earlier.cpuTicks) / TICKS_PER_SECOND;
    }

    /** The highest RSS the process has had (VmHWM), in MiB. */
    public double peakMiB() {
        return peakKiB / 1024.0;
    }
}
