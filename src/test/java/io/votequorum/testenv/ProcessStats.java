package io.votequorum.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's resident memory and CPU time so far, from /proc, as the benchmarks report them. */
public record ProcessStats(long rssKiB, long cpuTicks) {

    private static final double TICKS_PER_SECOND = 100.0;

    public static ProcessStats of(ProcessHandle process) {
        Path proc = Path.of("/proc", String.valueOf(process.pid()));
        try {
            long rss = Files.readAllLines(proc.resolve("status")).stream()
                    .filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst()
                    .orElseThrow();
            String stat = Files.readString(proc.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new ProcessStats(rss, Long.parseLong(fields[11]) + Long.parseLong(fields[12])); // utime + stime
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + proc, e);
        }
    }

    public double rssMiB() {
        return rssKiB / 1024.0;
    }

    /** CPU seconds used since {@code earlier}, a reading of the same process. */
    public double cpuSecondsSince(ProcessStats earlier) {
        return (cpuTicks - earlier.cpuTicks) / TICKS_PER_SECOND;
    }
}
