package io.votequorum.agent;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The agent's log lines on standard output, in Quarkus's console format:
 * {@code 2026-01-01 12:00:00,000 INFO  [io.votequorum.agent.AgentLoop] (agent-loop) message}.
 */
final class AgentLog extends Formatter {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS").withZone(ZoneId.systemDefault());

    AgentLog() {}

    /** Replaces the root logger's handlers with one that writes each record to standard output at once. */
    static void install(Level level) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        StreamHandler console = new StreamHandler(System.out, new AgentLog()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        console.setLevel(level);
        root.addHandler(console);
        root.setLevel(level);
    }

    /** A level as Quarkus's quarkus.log.level names it (WARN, DEBUG …, any case), or as java.util.logging does. */
    static Level level(String name) {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        return switch (upper) {
            case "OFF" -> Level.OFF;
            case "FATAL", "ERROR", "SEVERE" -> Level.SEVERE;
            case "WARN", "WARNING" -> Level.WARNING;
            case "INFO" -> Level.INFO;
            case "DEBUG", "FINE", "CONFIG" -> Level.FINE;
            case "TRACE", "FINER", "FINEST" -> Level.FINEST;
            case "ALL" -> Level.ALL;
            default ->
                throw new IllegalArgumentException("quarkus.log.level=" + name
                        + " is not a log level: use OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE or ALL");
        };
    }

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(160)
                .append(TIME.format(Instant.ofEpochMilli(record.getMillis())))
                .append(' ')
                .append(String.format("%-5s", name(record.getLevel())))
                .append(" [")
                .append(record.getLoggerName())
                .append("] (")
                .append(Thread.currentThread().getName())
                .append(") ")
                .append(formatMessage(record))
                .append(System.lineSeparator());
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }

    private static String name(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (value >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (value >= Level.INFO.intValue()) {
            return "INFO";
        }
        return value >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }
}
