package io.votequorum.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.votequorum.model.QuorumStatus;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.eclipse.microprofile.config.spi.ConfigProviderResolver;
import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * The agent role, run without booting Quarkus: the agent needs a Kubernetes client, its settings, and
 * health and metrics over HTTP, none of which needs the application server, its dependency injection
 * or the operator's extensions. What the agent does not boot it does not load, on every node.
 */
public final class AgentMain {

    private static final Logger LOG = Logger.getLogger(AgentMain.class);

    private AgentMain() {}

    /**
     * Runs the agent until SIGTERM or SIGINT, then stops it on a thread of its own (the start may still
     * be waiting for the API server) and exits 0.
     */
    public static void run() throws IOException {
        // First of all, so that a stop at any moment of the start is a clean one.
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> stop.countDown());
        }
        List<AutoCloseable> started = new CopyOnWriteArrayList<>();
        Thread stopper = new Thread(
                () -> {
                    try {
                        stop.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    // The agent first (its last status), then what it used, in the reverse order of their start.
                    for (int i = started.size() - 1; i >= 0; i--) {
                        try {
                            started.get(i).close();
                        } catch (Exception e) {
                            LOG.warnf("stopping the agent: %s", e.toString());
                        }
                    }
                    LOG.info("agent stopped");
                    System.exit(0);
                },
                "agent-stop");
        stopper.start();

        SmallRyeConfig settings = settings();
        // What reads the configuration through MicroProfile Config (the self-fence command) reads these.
        ConfigProviderResolver.instance()
                .registerConfig(settings, Thread.currentThread().getContextClassLoader());
        AgentLog.install(AgentLog.level(
                settings.getOptionalValue("quarkus.log.level", String.class).orElse("INFO")));
        AgentConfig config = settings.getConfigMapping(AgentConfig.class);
        int port = settings.getOptionalValue("quarkus.http.port", Integer.class).orElse(8080);
        String host =
                settings.getOptionalValue("quarkus.http.host", String.class).orElse("0.0.0.0");
        LOG.info("votequorum-operator running as agent");
        KubernetesClient client = new KubernetesClientBuilder()
                .withHttpClientFactory(new JdkHttpClientFactory())
                .withKubernetesSerialization(agentSerialization())
                .build();
        started.add(client);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // The JVM's own figures, as Quarkus's Micrometer extension binds them: memory, threads, classes, CPU.
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Agent agent = new Agent(config, client, registry);
        AgentHttp http = AgentHttp.start(host, port, agent, registry);
        started.add(http);
        LOG.infof("Listening on: http://%s:%d", host, http.port());
        started.add(agent);
        agent.start();
    }

    /**
     * The agent's settings as Quarkus would read them: system properties, the environment, then the
     * application's application.properties (whose expressions such as ${NODE_NAME:} resolve here too).
     */
    static SmallRyeConfig settings() throws IOException {
        URL defaults = AgentMain.class.getResource("/application.properties");
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .addDefaultSources()
                .addDefaultInterceptors()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(AgentConfig.class);
        if (defaults != null) {
            builder.withSources(new PropertiesConfigSource(defaults, 250));
        }
        return builder.build();
    }

    /**
     * fabric8's serialization knowing only the kinds the agent reads, writes and watches, and Status,
     * which a watch's ERROR event carries (fabric8 acts on a 410 Gone only when it reads a Status). The
     * default one loads and instantiates every kind of every model jar on the class path, the
     * operator's too, the first time it reads a watch event: 500 classes and 9 MiB more on every node.
     */
    static KubernetesSerialization agentSerialization() {
        KubernetesSerialization serialization = new KubernetesSerialization(new ObjectMapper(), false);
        for (Class<? extends KubernetesResource> kind :
                List.of(QuorumStatus.class, Lease.class, Node.class, Status.class)) {
            serialization.registerKubernetesResource(kind);
        }
        return serialization;
    }
}
