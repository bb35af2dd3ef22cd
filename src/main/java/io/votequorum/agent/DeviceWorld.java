package io.votequorum.agent;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.votequorum.corosync.CorosyncException;
import io.votequorum.corosync.CsError;
import io.votequorum.corosync.QuorumReader;
import io.votequorum.corosync.RingId;
import io.votequorum.device.LeaseVote;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * What the quorum device asks of the world: the Lease through the API server (one informer on it,
 * writes on their own thread), and corosync's device calls on corosync's session thread. Every
 * answer goes back to the loop as an input.
 */
final class DeviceWorld implements DeviceVote.World, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DeviceWorld.class);
    static final String FIELD_MANAGER = "votequorum-device";
    private static final int REGISTER_ATTEMPTS = 10;

    private final KubernetesClient client;
    private final String namespace;
    private final CorosyncSession corosync;
    private final Consumer<AgentLoop.Input> loop;
    private final Clock clock;
    private final Clock local;
    private final ExecutorService writer;
    private SharedIndexInformer<Lease> informer;
    /** The reader the device is registered on: corosync forgets the registration when it restarts. */
    private QuorumReader registeredOn;
    /** The vote the last poll cast or withdrew, on corosync's session thread. */
    private Boolean lastCast;
    /** This process has not registered the device yet, on corosync's session thread. */
    private boolean firstRegistration = true;

    DeviceWorld(
            KubernetesClient client,
            String namespace,
            CorosyncSession corosync,
            Consumer<AgentLoop.Input> loop,
            Clock clock,
            Clock local) {
        this.client = client;
        this.namespace = namespace;
        this.corosync = corosync;
        this.loop = loop;
        this.clock = clock;
        this.local = local;
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "device-lease");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void followLease(Optional<String> name) {
        if (informer != null) {
            informer.stop();
            informer = null;
        }
        if (name.isEmpty()) {
            return;
        }
        SharedIndexInformer<Lease> next =
                client.leases().inNamespace(namespace).withName(name.get()).runnableInformer(0);
        next.exceptionHandler((started, failure) -> true); // keep watching through API outages
        next.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Lease lease) {
                loop.accept(new AgentLoop.LeaseSeen(Optional.of(seen(lease))));
            }

            @Override
            public void onUpdate(Lease old, Lease lease) {
                loop.accept(new AgentLoop.LeaseSeen(Optional.of(seen(lease))));
            }

            @Override
            public void onDelete(Lease lease, boolean unknownFinalState) {
                loop.accept(new AgentLoop.LeaseSeen(Optional.empty()));
            }
        });
        informer = next;
        next.start();
    }

    @Override
    public void writeLease(String name, Duration duration, LeaseVote.Write write) {
        writer.execute(() -> {
            try {
                Lease written = write instanceof LeaseVote.Create
                        ? client.resource(lease(name, duration, write, Optional.empty()))
                                .create()
                        : client.resource(lease(name, duration, write, Optional.of(write.version())))
                                .fieldManager(FIELD_MANAGER)
                                .forceConflicts()
                                .serverSideApply();
                loop.accept(new AgentLoop.LeaseWritten(write, Optional.of(seen(written)), Optional.empty()));
            } catch (KubernetesClientException e) {
                loop.accept(new AgentLoop.LeaseWritten(
                        write, Optional.empty(), Optional.of(e.getCode() + " " + e.getMessage())));
            } catch (RuntimeException e) {
                LOG.error("writing the quorum device's Lease failed", e);
                loop.accept(new AgentLoop.LeaseWritten(write, Optional.empty(), Optional.of(e.toString())));
            }
        });
    }

    /** The Lease as this write sets it; the version, when given, must be the one on the API server. */
    private Lease lease(String name, Duration duration, LeaseVote.Write write, Optional<String> version) {
        ZonedDateTime renew = ZonedDateTime.ofInstant(write.renewTime(), ZoneOffset.UTC);
        LeaseBuilder builder = new LeaseBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .withResourceVersion(version.orElse(null))
                .endMetadata()
                .withNewSpec()
                .withLeaseDurationSeconds((int) duration.toSeconds())
                .withRenewTime(renew)
                .endSpec();
        if (write instanceof LeaseVote.Acquire a) {
            builder.editSpec()
                    .withHolderIdentity(a.holder())
                    .withAcquireTime(renew)
                    .endSpec();
        } else if (write instanceof LeaseVote.Renew r) {
            builder.editSpec().withHolderIdentity(r.holder()).endSpec();
        }
        return builder.build();
    }

    private LeaseVote.Seen seen(Lease lease) {
        return new LeaseVote.Seen(
                Optional.ofNullable(lease.getSpec().getHolderIdentity()).filter(h -> !h.isEmpty()),
                Optional.ofNullable(lease.getSpec().getRenewTime()).map(ZonedDateTime::toInstant),
                lease.getMetadata().getResourceVersion(),
                local.instant());
    }

    @Override
    public void pollDevice(boolean cast, Optional<Instant> castUntil, RingId ring) {
        corosync.submit(reader -> {
            if (reader.isEmpty()) {
                loop.accept(new AgentLoop.DevicePolled(false, Optional.of("corosync is not connected")));
                return;
            }
            // A poll that reaches corosync late casts only if it is still in time.
            boolean inTime =
                    cast && castUntil.filter(u -> !local.instant().isAfter(u)).isPresent();
            try {
                register(reader.get());
                reader.get().votequorum().qdevicePoll(DeviceVote.DEVICE_NAME, inTime, ring);
                // A cast or withdrawn vote changes no membership, so no callback says so: the view after it.
                if (!Boolean.valueOf(inTime).equals(lastCast)) {
                    Agent.freshSnapshot(reader.get())
                            .ifPresent(s -> loop.accept(
                                    new AgentLoop.Viewed(new AgentStatus.CorosyncView.Reachable(s), clock.instant())));
                }
                lastCast = inTime;
                loop.accept(new AgentLoop.DevicePolled(inTime, Optional.empty()));
            } catch (CorosyncException e) {
                if (e.error() == CsError.CS_ERR_NOT_EXIST) {
                    registeredOn = null;
                }
                refused(e.getMessage());
            } catch (RuntimeException e) {
                // Whatever failed, the loop hears of it, or it would wait for this poll forever.
                refused(e.toString());
            } catch (InterruptedException e) {
                refused("interrupted");
                Thread.currentThread().interrupt();
            }
        });
    }

    /** On corosync's session thread: a poll that did not happen; the vote corosync holds is unknown. */
    private void refused(String why) {
        lastCast = null;
        loop.accept(new AgentLoop.DevicePolled(false, Optional.of(why)));
    }

    /** On corosync's session thread: registers the device once per connection; TRY_AGAIN is retried. */
    private void register(QuorumReader reader) throws InterruptedException {
        if (registeredOn == reader) {
            return;
        }
        lastCast = null;
        if (firstRegistration) {
            // A predecessor killed while casting left its registration, and its vote counts until the
            // device's timeout (longer while rings change): withdraw it before anything else.
            firstRegistration = false;
            try {
                reader.votequorum().qdeviceUnregister(DeviceVote.DEVICE_NAME);
                LOG.infof("quorum device %s left registered by an earlier agent: unregistered", DeviceVote.DEVICE_NAME);
            } catch (CorosyncException e) {
                LOG.debugf("no earlier registration of the quorum device: %s", e.getMessage());
            }
        }
        for (int attempt = 1; ; attempt++) {
            try {
                reader.votequorum().qdeviceRegister(DeviceVote.DEVICE_NAME);
                registeredOn = reader;
                LOG.infof("quorum device %s registered with corosync", DeviceVote.DEVICE_NAME);
                return;
            } catch (CorosyncException e) {
                if (e.error() != CsError.CS_ERR_TRY_AGAIN || attempt == REGISTER_ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void stopDevice() {
        corosync.submit(reader -> reader.ifPresent(r -> {
            try {
                r.votequorum().qdeviceUnregister(DeviceVote.DEVICE_NAME);
                LOG.infof("quorum device %s unregistered", DeviceVote.DEVICE_NAME);
            } catch (CorosyncException e) {
                LOG.debugf("unregistering the quorum device: %s", e.getMessage());
            }
            registeredOn = null;
        }));
    }

    @Override
    public synchronized void close() {
        if (informer != null) {
            informer.stop();
        }
        writer.shutdownNow();
    }
}
