package io.votequorum.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The agent's health and metrics endpoints on the JDK's own HTTP server, at the paths and in the
 * format Quarkus serves them (SmallRye Health, OpenMetrics text from Micrometer), so probes and scrapers
 * see no difference: /q/health/live, /q/health/ready, /q/health/started, /q/health, /q/metrics.
 */
final class AgentHttp implements AutoCloseable {

    private static final String OPENMETRICS = TextFormat.CONTENT_TYPE_OPENMETRICS_100;

    private final HttpServer server;

    private AgentHttp(HttpServer server) {
        this.server = server;
    }

    static AgentHttp start(String host, int port, Agent agent, PrometheusMeterRegistry registry) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "agent-http");
            t.setDaemon(true);
            return t;
        }));
        Supplier<String> ready = () -> health(agent.ready(), readiness(agent));
        server.createContext("/q/health/live", e -> send(e, health(true, ""), true));
        server.createContext("/q/health/started", e -> send(e, health(true, ""), true));
        server.createContext("/q/health/ready", e -> send(e, ready.get(), agent.ready()));
        server.createContext("/q/health", e -> send(e, ready.get(), agent.ready()));
        server.createContext("/q/metrics", e -> reply(e, 200, OPENMETRICS, registry.scrape(OPENMETRICS)));
        server.start();
        return new AgentHttp(server);
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static String readiness(Agent agent) {
        return "{\"name\": \"agent\", \"status\": \"" + (agent.ready() ? "UP" : "DOWN") + "\", \"data\": {"
                + "\"corosyncReachable\": " + agent.corosyncReachable() + ", \"apiServerReachable\": "
                + agent.apiReachable() + "}}";
    }

    private static String health(boolean up, String check) {
        return "{\"status\": \"" + (up ? "UP" : "DOWN") + "\", \"checks\": [" + check + "]}";
    }

    private static void send(HttpExchange exchange, String json, boolean up) throws IOException {
        reply(exchange, up ? 200 : 503, "application/json; charset=UTF-8", json);
    }

    private static void reply(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
