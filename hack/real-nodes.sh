#!/usr/bin/env bash
# Real Kubernetes nodes on one machine: a control plane on the host (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) and N nodes, each one network namespace on a private
# bridge holding corosync (Debian's), a containerd (Debian's, with runc) and a kubelet registered
# under the node's name. See ../shared/REAL-NODES.md and docs/testing.md.
#
#   real-nodes.sh up N              start the control plane and nodes node1..nodeN; wait until every
#                                   node is quorate in corosync and Ready in Kubernetes
#   real-nodes.sh down              stop everything this script started and remove what it made
#                                   (also after a killed run)
#   real-nodes.sh cut I             take node I off the network (link down): corosync and kubelet lose all
#   real-nodes.sh heal I            put node I back, and drop any isolate rules involving it
#   real-nodes.sh isolate I J       drop traffic between nodes I and J only (nftables)
#   real-nodes.sh stop-corosync I   stop corosync on node I        (start-corosync I starts it again)
#   real-nodes.sh kill-corosync I   kill corosync on node I (SIGKILL: a crash, no leave message)
#   real-nodes.sh restart-apiserver stop kube-apiserver and start it again; returns once it is ready
#   real-nodes.sh stop-kubelet I    stop the kubelet on node I     (start-kubelet I starts it again)
#   real-nodes.sh stop-node I       stop everything on node I: kubelet, containerd, its pods, corosync
#   real-nodes.sh start-node I      start node I's corosync, containerd and kubelet again
#   real-nodes.sh exec I CMD…       run CMD on node I, outside any container (its network namespace,
#                                   corosync's private /run and /var/lib/corosync)
#   real-nodes.sh kubectl ARGS…     kubectl as the cluster's admin
#   real-nodes.sh status            nodes as Kubernetes sees them, and corosync-quorumtool -s of each node
#
# Settings (environment): VQ_NODES_DIR (/tmp/vq-real-nodes), VQ_K8S_BIN (hack/build-k8s.sh
# --print-dir), VQ_CLUSTER_NAME (vqreal), VQ_TOKEN (1000 ms), VQ_UP_TIMEOUT (120 s),
# VQ_IMAGES (docker archives to import into every node; target/image/votequorum-operator.tar when it
# exists), VQ_QUORUM_DEVICE (set: corosync.conf declares a one-vote quorum device with 4 s
# timeouts, for the Lease-backed device). The admin kubeconfig is $VQ_NODES_DIR/admin.kubeconfig, the audit log
# $VQ_NODES_DIR/cp/audit.log.
#
# Addresses: bridge vqkbr0 with the host at 10.78.0.254, node I at 10.78.0.I in namespace vqknI,
# Services 10.78.1.0/24 (the kubernetes Service 10.78.1.1:443 is DNATed to the API server in each
# node), pods of node I in 10.78.(10+I).0/24. Nothing is routed off the bridge.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
state="${VQ_NODES_DIR:-/tmp/vq-real-nodes}"
cp_dir="$state/cp"
pki="$state/pki"
subnet="10.78.0"
bridge="vqkbr0"
host_address="$subnet.254"
service_range="10.78.1.0/24"
service_ip="10.78.1.1"
etcd_port=22379
etcd_peer_port=22380
api_port=16443
kcm_port=20257
scheduler_port=20259
cgroup_parent="vqrealnodes"
pause_image="vq.local/pause:1"
busybox_image="vq.local/busybox:1"
up_timeout="${VQ_UP_TIMEOUT:-120}"

log() { printf '%s real-nodes: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { echo "real-nodes: $*" >&2; exit 1; }
usage() { sed -n '2,33s/^# \{0,1\}//p' "$0"; exit 2; }
need_root() { [ "$(id -u)" = 0 ] || die "needs root (network namespaces, bridges, mounts, cgroups)"; }

ns() { echo "vqkn$1"; }
node_dir() { echo "$state/node$1"; }
node_count() { ls -d "$state"/node* 2>/dev/null | wc -l; }
pod_subnet() { echo "10.78.$((10 + $1)).0/24"; }
valid_node() {
    [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ -d "$(node_dir "$1")" ] || die "no node $1 (nodes: 1..$(node_count))"
}

k8s_bin() {
    if [ -n "${VQ_K8S_BIN:-}" ]; then echo "$VQ_K8S_BIN"; else "$here/build-k8s.sh" --print-dir; fi
}
bin="$(k8s_bin)"
kubectl() { "$bin/kubectl" --kubeconfig "$state/admin.kubeconfig" "$@"; }

install_packages() {
    local missing=() tool
    for tool in corosync:corosync nft:nftables ip:iproute2 nsenter:util-linux containerd:containerd runc:runc \
            /usr/lib/cni/bridge:containernetworking-plugins busybox:busybox-static umoci:umoci skopeo:skopeo \
            gcc:gcc openssl:openssl curl:curl; do
        if [[ "${tool%%:*}" == /* ]]; then [ -e "${tool%%:*}" ] && continue; else command -v "${tool%%:*}" >/dev/null && continue; fi
        missing+=("${tool#*:}")
    done
    # The workload image needs the static busybox; Debian's dynamic busybox package installs the same name.
    if [[ " ${missing[*]} " != *" busybox-static "* ]] \
            && ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
        missing+=(busybox-static)
    fi
    [ ${#missing[@]} -eq 0 ] && return
    log "installing ${missing[*]} from Debian"
    # Keep the packages from starting a corosync or containerd of their own on the host.
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }
    [ "$created" = 1 ] && rm -f "$policy"
    return 0
}

check_binaries() {
    local b
    for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
        [ -x "$bin/$b" ] || die "$bin/$b is missing: run 'hack/build-k8s.sh --nodes' (or 'make k8s-nodes')"
    done
}

# Starts a long-running process detached from this script, its output to LOG, its pid to PIDFILE.
spawn() {
    local pidfile="$1" logfile="$2"; shift 2
    setsid nohup "$@" >> "$logfile" 2>&1 < /dev/null &
    echo $! > "$pidfile"
}

wait_for() {
    local what="$1" timeout="$2"; shift 2
    local deadline=$(( $(date +%s) + timeout ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || die "$what not within $timeout s"
        sleep 0.3
    done
}

start_apiserver() {
    log "starting kube-apiserver"
    spawn "$cp_dir/kube-apiserver.pid" "$cp_dir/kube-apiserver.log" "$bin/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$etcd_port" \
        --bind-address 0.0.0.0 --secure-port "$api_port" --advertise-address "$host_address" \
        --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
        --client-ca-file "$pki/ca.crt" \
        --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
        --service-cluster-ip-range "$service_range" \
        --kubelet-preferred-address-types InternalIP \
        --kubelet-certificate-authority "$pki/ca.crt" \
        --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
        --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
        --allow-privileged=true \
        --audit-policy-file "$cp_dir/audit-policy.yaml" --audit-log-path "$cp_dir/audit.log" --audit-log-format json \
        --profiling=false
    wait_for "kube-apiserver ready" 120 curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
        "https://127.0.0.1:$api_port/readyz"

}

# --- certificates -------------------------------------------------------------------------------

# cert NAME SUBJECT [SANS]: an EC key and a certificate signed by the test CA.
cert() {
    local name="$1" subject="$2" sans="${3:-}" ext="$pki/$1.ext"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/$name.key" 2>/dev/null
    openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
    {
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        if [ -n "$sans" ]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans";
        else echo "extendedKeyUsage=clientAuth"; fi
    } > "$ext"
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 30 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
    rm -f "$pki/$name.csr" "$ext"
}

kubeconfig() {
    local file="$1" user="$2" server="$3"
    cat > "$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ${VQ_CLUSTER_NAME:-vqreal}
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$pki/$user.crt")
    client-key-data: $(base64 -w0 < "$pki/$user.key")
contexts:
- name: $user
  context: {cluster: ${VQ_CLUSTER_NAME:-vqreal}, user: $user}
current-context: $user
EOF
}

make_pki() {
    mkdir -p "$pki"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=votequorum-real-nodes-ca" -days 30 -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
        -out "$pki/ca.crt" 2>/dev/null
    cert apiserver "/CN=kube-apiserver" \
        "IP:127.0.0.1,IP:$host_address,IP:$service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    cert admin "/O=system:masters/CN=votequorum-real-nodes-admin"
    cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
    cert kube-controller-manager "/CN=system:kube-controller-manager"
    cert kube-scheduler "/CN=system:kube-scheduler"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
    openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

# --- control plane ------------------------------------------------------------------------------

start_control_plane() {
    mkdir -p "$cp_dir/etcd"
    local api="https://127.0.0.1:$api_port"
    kubeconfig "$state/admin.kubeconfig" admin "$api"
    kubeconfig "$cp_dir/kube-controller-manager.kubeconfig" kube-controller-manager "$api"
    kubeconfig "$cp_dir/kube-scheduler.kubeconfig" kube-scheduler "$api"
    cat > "$cp_dir/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
  - level: None
EOF

    log "starting etcd"
    spawn "$cp_dir/etcd.pid" "$cp_dir/etcd.log" "$bin/etcd" --name vqreal --data-dir "$cp_dir/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
        --initial-cluster "vqreal=http://127.0.0.1:$etcd_peer_port" \
        --quota-backend-bytes 1073741824 --unsafe-no-fsync
    wait_for "etcd healthy" 60 curl -sf "http://127.0.0.1:$etcd_port/health"

    start_apiserver

    log "starting kube-controller-manager and kube-scheduler"
    spawn "$cp_dir/kube-controller-manager.pid" "$cp_dir/kube-controller-manager.log" "$bin/kube-controller-manager" \
        --kubeconfig "$cp_dir/kube-controller-manager.kubeconfig" \
        --authentication-kubeconfig "$cp_dir/kube-controller-manager.kubeconfig" \
        --authorization-kubeconfig "$cp_dir/kube-controller-manager.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port "$kcm_port" \
        --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
        --use-service-account-credentials=true \
        --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
        --service-cluster-ip-range "$service_range" \
        --cluster-name "${VQ_CLUSTER_NAME:-vqreal}" --leader-elect=false --profiling=false
    spawn "$cp_dir/kube-scheduler.pid" "$cp_dir/kube-scheduler.log" "$bin/kube-scheduler" \
        --kubeconfig "$cp_dir/kube-scheduler.kubeconfig" \
        --authentication-kubeconfig "$cp_dir/kube-scheduler.kubeconfig" \
        --authorization-kubeconfig "$cp_dir/kube-scheduler.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port "$scheduler_port" --leader-elect=false --profiling=false
    wait_for "kube-controller-manager healthy" 60 curl -sfk "https://127.0.0.1:$kcm_port/healthz"
    wait_for "kube-scheduler healthy" 60 curl -sfk "https://127.0.0.1:$scheduler_port/healthz"
}

# --- images -------------------------------------------------------------------------------------

# pack_image DIR NAME:TAG ENTRYPOINT… : an OCI image from the root file system DIR, as a docker archive.
pack_image() {
    local rootfs="$1" ref="$2"; shift 2
    local work="$state/images/work" layout="$state/images/work/oci"
    rm -rf "$work"; mkdir -p "$work"
    tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$work/layer.tar" .
    umoci init --layout "$layout"
    umoci new --image "$layout:1"
    umoci raw add-layer --image "$layout:1" "$work/layer.tar"
    local args=() e
    for e in "$@"; do args+=(--config.entrypoint "$e"); done
    umoci config --image "$layout:1" --architecture amd64 --os linux "${args[@]}" \
        --config.env 'PATH=/bin:/usr/bin:/sbin:/usr/sbin'
    skopeo --insecure-policy copy --quiet "oci:$layout:1" "docker-archive:$state/images/${ref%%:*}.tar:$ref"
    rm -rf "$work"
}

build_images() {
    local dir="$state/images"
    mkdir -p "$dir/pause/rootfs" "$dir/busybox/rootfs/bin" "$dir/vq.local"
    # The sandbox image: pauses, exits on SIGTERM/SIGINT, reaps children.
    cat > "$dir/pause/pause.c" <<'EOF'
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int s) { (void)s; _exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
    signal(SIGTERM, stop); signal(SIGINT, stop); signal(SIGCHLD, reap);
    for (;;) pause();
}
EOF
    gcc -static -Os -s -o "$dir/pause/rootfs/pause" "$dir/pause/pause.c"
    pack_image "$dir/pause/rootfs" "$pause_image" /pause
    # A workload image: Debian's static busybox and its applets.
    cp "$(command -v busybox)" "$dir/busybox/rootfs/bin/busybox"
    mkdir -p "$dir/busybox/rootfs/tmp" "$dir/busybox/rootfs/etc"
    local applet
    for applet in $("$dir/busybox/rootfs/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$dir/busybox/rootfs/bin/$applet"
    done
    pack_image "$dir/busybox/rootfs" "$busybox_image" /bin/sh
    rm -rf "$dir/pause" "$dir/busybox"
}

images_to_import() {
    ls "$state"/images/vq.local/*.tar
    if [ -n "${VQ_IMAGES:-}" ]; then
        tr ' ' '\n' <<<"$VQ_IMAGES"
    elif [ -f "$repo/target/image/votequorum-operator.tar" ]; then
        echo "$repo/target/image/votequorum-operator.tar"
    fi
}

# --- nodes --------------------------------------------------------------------------------------

# corosync's mounts, as hack/corosync-cluster.sh makes them: private /run and /var/lib/corosync.
corosync_mounts='mount --make-rprivate / &&
    mount --bind "$1/corosync/run" /run &&
    mount --bind "$1/corosync/lib" /var/lib/corosync &&
    mount --bind "$1/etc/hosts" /etc/hosts &&
    mount --bind "$1/etc/resolv.conf" /etc/resolv.conf'

# The node's mount namespace for containerd and kubelet (they must share one: containerd mounts the
# volumes kubelet prepares). Kubelet's hard-coded /var/lib/kubelet/device-plugins and
# /var/log/containers, and containerd's /run/netns, become the node's own.
node_mounts='mount --make-rprivate / &&
    mount -t tmpfs -o mode=0755 vqnode-run /run &&
    mount --bind "$1/kubelet" /var/lib/kubelet &&
    mount --bind "$1/log/containers" /var/log/containers &&
    mount --bind "$1/etc/hosts" /etc/hosts &&
    mount --bind "$1/etc/resolv.conf" /etc/resolv.conf'

on_node() {
    local i="$1"; shift
    nsenter --net="/run/netns/$(ns "$i")" unshare -m sh -c "$corosync_mounts"' && shift && exec "$@"' \
        on-node "$(node_dir "$i")" "$@"
}

# Mount points the node namespaces bind over; made on the host only when missing, removed by down.
host_mount_points() {
    local d
    for d in /var/lib/kubelet /var/log/containers; do
        if [ ! -d "$d" ]; then mkdir -p "$d"; echo "$d" >> "$state/host-dirs"; fi
    done
}

cgroup_dirs() { # every hierarchy's directory for PATH under this harness (v1, and the hybrid's unified one)
    local h
    for h in /sys/fs/cgroup/*; do
        [ -f "$h/cgroup.procs" ] && echo "$h/$cgroup_parent${1:+/$1}"
    done
}

make_cgroups() {
    local i="$1" d
    for d in $(cgroup_dirs) $(cgroup_dirs "node$i"); do
        mkdir -p "$d"
        if [ -f "$d/cpuset.cpus" ] && [ -z "$(cat "$d/cpuset.cpus")" ]; then
            cat "$(dirname "$d")/cpuset.cpus" > "$d/cpuset.cpus"
            cat "$(dirname "$d")/cpuset.mems" > "$d/cpuset.mems"
        fi
    done
}

write_node_files() {
    local i="$1" n="$2" dir; dir="$(node_dir "$1")"
    local name="node$i" address="$subnet.$i"
    mkdir -p "$dir"/{corosync/run,corosync/lib,log/containers,etc,containerd/root,containerd/state,runc,cni/conf,cni/data,kubelet,pods-logs}
    {
        echo "127.0.0.1 localhost $name"
        echo "$host_address vqhost"
        for j in $(seq 1 "$n"); do echo "$subnet.$j node$j"; done
    } > "$dir/etc/hosts"
    echo "nameserver 127.0.0.1" > "$dir/etc/resolv.conf"

    {
        echo "totem {"
        echo "    version: 2"
        echo "    cluster_name: ${VQ_CLUSTER_NAME:-vqreal}"
        echo "    transport: knet"
        echo "    token: ${VQ_TOKEN:-1000}"
        echo "    crypto_cipher: none"
        echo "    crypto_hash: none"
        echo "}"
        echo "nodelist {"
        for j in $(seq 1 "$n"); do
            printf '    node {\n        ring0_addr: %s\n        name: node%s\n        nodeid: %s\n    }\n' "$subnet.$j" "$j" "$j"
        done
        echo "}"
        echo "quorum {"
        echo "    provider: corosync_votequorum"
        if [ -n "${VQ_QUORUM_DEVICE:-}" ]; then
            printf '    device {\n        model: kubernetes-lease\n        votes: 1\n        timeout: 4000\n        sync_timeout: 4000\n    }\n'
        fi
        echo "}"
        echo "logging {"
        echo "    to_logfile: yes"
        echo "    logfile: $dir/log/corosync.log"
        echo "    to_syslog: no"
        echo "    to_stderr: no"
        echo "    timestamp: hires"
        echo "}"
    } > "$dir/corosync.conf"

    cat > "$dir/containerd.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$dir/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/conf"
EOF
    cat > "$dir/cni/conf/10-vqpods.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "vqpods",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$dir/cni/data",
        "ranges": [[{"subnet": "$(pod_subnet "$i")"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF

    cert "node$i-client" "/O=system:nodes/CN=system:node:$name"
    cert "node$i-serving" "/CN=system:node:$name" "IP:$address,DNS:$name"
    kubeconfig "$dir/kubelet.kubeconfig" "node$i-client" "https://$host_address:$api_port"
    cat > "$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: true
cgroupRoot: /$cgroup_parent/$name
enforceNodeAllocatable: []
failSwapOn: false
readOnlyPort: 0
address: $address
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
tlsCertFile: $pki/node$i-serving.crt
tlsPrivateKeyFile: $pki/node$i-serving.key
containerRuntimeEndpoint: unix://$dir/containerd.sock
imageServiceEndpoint: unix://$dir/containerd.sock
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
podLogsDir: $dir/pods-logs
resolvConf: $dir/etc/resolv.conf
clusterDomain: cluster.local
volumePluginDir: $dir/kubelet/volume-plugins
maxPods: 30
serializeImagePulls: false
EOF
}

make_node_network() {
    local i="$1"
    ip netns add "$(ns "$i")"
    ip link add "vqkv$i" type veth peer name eth0 netns "$(ns "$i")"
    ip link set "vqkv$i" master "$bridge" up
    ip -n "$(ns "$i")" addr add "$subnet.$i/24" dev eth0
    ip -n "$(ns "$i")" link set lo up
    ip -n "$(ns "$i")" link set eth0 up
    ip netns exec "$(ns "$i")" sysctl -qw net.ipv4.ip_forward=1
    # The kubernetes Service without kube-proxy: its ClusterIP is DNATed to the API server's bridge
    # address, for hostNetwork pods (output) and pods on the node's pod bridge (prerouting).
    ip -n "$(ns "$i")" route add "$service_range" dev eth0
    ip netns exec "$(ns "$i")" nft -f - <<EOF
table ip vqservices {
    chain output { type nat hook output priority -100; policy accept; ip daddr $service_ip tcp dport 443 dnat to $host_address:$api_port; }
    chain prerouting { type nat hook prerouting priority -100; policy accept; ip daddr $service_ip tcp dport 443 dnat to $host_address:$api_port; }
}
EOF
    # Replies from the host to pods on node I.
    ip route add "$(pod_subnet "$i")" via "$subnet.$i" dev "$bridge"
}

start_corosync() {
    local i="$1" dir; dir="$(node_dir "$1")"
    spawn "$dir/corosync.pid" "$dir/log/corosync.out" nsenter --net="/run/netns/$(ns "$i")" \
        unshare -m sh -c "$corosync_mounts"' && exec corosync -f -c "$1/corosync.conf"' corosync-node "$dir"
}

# The process holding node I's mount namespace: a sleep in the node's network namespace, so down
# finds it there.
start_holder() {
    local i="$1" dir; dir="$(node_dir "$1")"
    spawn "$dir/holder.pid" "$dir/log/holder.out" nsenter --net="/run/netns/$(ns "$i")" \
        unshare -m sh -c "$node_mounts"' && exec sleep infinity' node-mounts "$dir"
    local pid; pid="$(cat "$dir/holder.pid")"
    # ready once the sleep runs in a mount namespace of its own
    wait_for "node $i's mount namespace" 10 sh -c "[ \"\$(readlink /proc/$pid/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ] && grep -q sleep /proc/$pid/comm"
}

in_node() { # runs a command in node I's network and mount namespaces (containerd's and kubelet's)
    local i="$1"; shift
    nsenter --net="/run/netns/$(ns "$i")" --mount="/proc/$(cat "$(node_dir "$i")/holder.pid")/ns/mnt" "$@"
}

start_containerd() {
    local i="$1" dir; dir="$(node_dir "$1")"
    spawn "$dir/containerd.pid" "$dir/log/containerd.log" \
        nsenter --net="/run/netns/$(ns "$i")" --mount="/proc/$(cat "$dir/holder.pid")/ns/mnt" \
        containerd --config "$dir/containerd.toml"
    wait_for "containerd on node $i" 30 ctr --address "$dir/containerd.sock" version
}

import_images() {
    local i="$1" dir image; dir="$(node_dir "$1")"
    for image in $(images_to_import); do
        [ -f "$image" ] || die "no image archive $image"
        ctr --address "$dir/containerd.sock" -n k8s.io images import "$image" >> "$dir/log/images.log" 2>&1 \
            || { cat "$dir/log/images.log" >&2; die "importing $image into node $i failed"; }
    done
}

start_kubelet() {
    local i="$1" dir; dir="$(node_dir "$1")"
    make_cgroups "$i"
    spawn "$dir/kubelet.pid" "$dir/log/kubelet.log" \
        nsenter --net="/run/netns/$(ns "$i")" --mount="/proc/$(cat "$dir/holder.pid")/ns/mnt" \
        "$bin/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$dir/kubelet.kubeconfig" \
        --root-dir "$dir/kubelet" --hostname-override "node$i" --node-ip "$subnet.$i" --v 1
}

stop_pid() {
    local pid="$1" waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
}

stop_pidfile() {
    local file="$1"
    [ -f "$file" ] && stop_pid "$(cat "$file")"
    rm -f "$file"
}

# Every process of node I: its network namespace's (holder, corosync, containerd, shims, kubelet,
# hostNetwork pods) and its pods' cgroups' (containers in their own network namespaces).
node_pids() {
    local i="$1" d
    ip netns pids "$(ns "$i")" 2>/dev/null || true
    for d in $(cgroup_dirs "node$i"); do
        [ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
    done
    true
}

kill_all() { # TERM, up to 3 s (kube-apiserver takes longer to drain, and needs not), then KILL
    local pids=("$@") pid waited=0
    [ ${#pids[@]} -eq 0 ] && return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    while [ "$waited" -lt 30 ]; do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && return 0
        sleep 0.1; waited=$((waited + 1))
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.2
}

remove_cgroups() {
    local d
    for d in $(cgroup_dirs "${1:-}"); do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    true
}

wait_node_quorate() {
    local i="$1" n="$2" out
    local deadline=$(( $(date +%s) + up_timeout ))
    while :; do
        out="$(on_node "$i" corosync-quorumtool -s 2>&1 || true)"
        if grep -Eq '^Quorate: +Yes' <<<"$out" && grep -Eq "^Nodes: +$n\$" <<<"$out"; then return 0; fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "$out" >&2
            die "node $i is not quorate with $n nodes after $up_timeout s"
        fi
        sleep 0.5
    done
}

node_ready() {
    [ "$(kubectl get node "node$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

wait_node_ready() {
    local i="$1" deadline=$(( $(date +%s) + up_timeout ))
    until node_ready "$i"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            tail -30 "$(node_dir "$i")/log/kubelet.log" >&2 || true
            die "node$i is not Ready after $up_timeout s (kubelet log: $(node_dir "$i")/log/kubelet.log)"
        fi
        sleep 0.5
    done
}

# --- commands -----------------------------------------------------------------------------------

cmd_up() {
    local n="${1:-}" started; started=$(date +%s)
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 32 ] || die "up needs a node count from 1 to 32"
    need_root
    check_binaries
    install_packages
    [ -d "$state" ] && die "$state exists: run down first"
    ip link show "$bridge" >/dev/null 2>&1 && die "bridge $bridge exists: run down first"
    mkdir -p "$state" "$state/images/vq.local"
    echo "$n" > "$state/size"
    log "state in $state, Kubernetes binaries from $bin"

    ip link add "$bridge" type bridge
    ip addr add "$host_address/24" dev "$bridge"
    ip link set "$bridge" up
    make_pki
    start_control_plane
    log "control plane ready in $(( $(date +%s) - started )) s"

    log "building the sandbox and busybox images"
    build_images
    host_mount_points
    local i
    for i in $(seq 1 "$n"); do
        write_node_files "$i" "$n"
        make_node_network "$i"
        start_corosync "$i"
        start_holder "$i"
        start_containerd "$i"
    done
    for i in $(seq 1 "$n"); do
        log "importing images into node$i: $(images_to_import | xargs -n1 basename | tr '\n' ' ')"
        import_images "$i"
        start_kubelet "$i"
    done
    for i in $(seq 1 "$n"); do wait_node_quorate "$i" "$n"; done
    log "corosync: $n nodes quorate"
    for i in $(seq 1 "$n"); do wait_node_ready "$i"; done
    log "$n nodes Ready in $(( $(date +%s) - started )) s; kubeconfig $state/admin.kubeconfig"
}

cmd_down() {
    need_root
    local pids=() pid netns i
    # Every node's processes, and everything whose command line names the state directory (the
    # control plane, and node processes whose namespaces are already gone).
    for netns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^vqkn[0-9]+$' || true); do
        pids+=($(ip netns pids "$netns" 2>/dev/null || true))
    done
    for d in $(cgroup_dirs); do
        [ -d "$d" ] && pids+=($(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null || true))
    done
    for pid in $(grep -lsF -- "$state" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true); do
        [ "$pid" != "$$" ] && [ "$pid" != "$PPID" ] && pids+=("$pid")
    done
    kill_all "${pids[@]}"
    remove_cgroups
    for netns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^vqkn[0-9]+$' || true); do
        ip netns del "$netns" 2>/dev/null || true
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^vqkv[0-9]+$' || true); do
        ip link del "$link" 2>/dev/null || true
    done
    ip link del "$bridge" 2>/dev/null || true
    # Mounts below the state directory, if anything leaked into the host's mount namespace.
    for m in $(awk -v s="$state" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    if [ -f "$state/host-dirs" ]; then
        while read -r d; do rmdir "$d" 2>/dev/null || true; done < "$state/host-dirs"
    fi
    rm -rf "$state"
}

cmd_cut() { valid_node "$1"; ip link set "vqkv$1" down; }

apply_isolation() {
    local i="$1" file; file="$(node_dir "$i")/isolated"
    ip netns exec "$(ns "$i")" nft delete table inet vqisolate 2>/dev/null || true
    [ -s "$file" ] || return 0
    local rules="table inet vqisolate { chain input { type filter hook input priority 0; policy accept;" peer
    for peer in $(sort -u "$file"); do rules="$rules ip saddr $subnet.$peer drop;"; done
    rules="$rules }; chain output { type filter hook output priority 0; policy accept;"
    for peer in $(sort -u "$file"); do rules="$rules ip daddr $subnet.$peer drop;"; done
    rules="$rules }; }"
    ip netns exec "$(ns "$i")" nft -f - <<<"$rules"
}

cmd_isolate() {
    valid_node "$1"; valid_node "$2"
    [ "$1" != "$2" ] || die "isolate needs two different nodes"
    echo "$2" >> "$(node_dir "$1")/isolated"
    echo "$1" >> "$(node_dir "$2")/isolated"
    apply_isolation "$1"
    apply_isolation "$2"
}

cmd_heal() {
    valid_node "$1"
    ip link set "vqkv$1" up
    local j file
    rm -f "$(node_dir "$1")/isolated"
    apply_isolation "$1"
    for j in $(seq 1 "$(node_count)"); do
        file="$(node_dir "$j")/isolated"
        if [ -f "$file" ] && grep -qx "$1" "$file"; then
            grep -vx "$1" "$file" > "$file.new" || true
            mv "$file.new" "$file"
            apply_isolation "$j"
        fi
    done
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

cmd_start_corosync() {
    valid_node "$1"
    running "$(node_dir "$1")/corosync.pid" && die "corosync already runs on node $1"
    start_corosync "$1"
    local rc deadline=$(( $(date +%s) + up_timeout ))
    while :; do
        # quorumtool answers 0 (quorate) or 2 (not quorate) once corosync is up, 1 before
        rc=0; on_node "$1" corosync-quorumtool -s >/dev/null 2>&1 || rc=$?
        { [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; } && break
        [ "$(date +%s)" -lt "$deadline" ] || die "corosync on node $1 did not answer within $up_timeout s"
        sleep 0.2
    done
}

cmd_start_kubelet() {
    valid_node "$1"
    running "$(node_dir "$1")/kubelet.pid" && die "the kubelet already runs on node $1"
    start_kubelet "$1"
    wait_kubelet_healthy "$1"
}

wait_kubelet_healthy() {
    local deadline=$(( $(date +%s) + up_timeout ))
    until in_node "$1" curl -sf http://127.0.0.1:10248/healthz >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || die "the kubelet on node $1 is not healthy within $up_timeout s"
        sleep 0.3
    done
}

cmd_stop_node() {
    valid_node "$1"
    local dir; dir="$(node_dir "$1")"
    stop_pidfile "$dir/kubelet.pid"
    kill_all $(node_pids "$1")
    rm -f "$dir"/{corosync,containerd,holder}.pid
}

cmd_start_node() {
    valid_node "$1"
    running "$(node_dir "$1")/holder.pid" && die "node $1 runs; stop-node $1 first"
    start_corosync "$1"
    start_holder "$1"
    start_containerd "$1"
    start_kubelet "$1"
    wait_kubelet_healthy "$1"
    wait_node_ready "$1"
}

cmd_status() {
    kubectl get nodes -o wide || true
    local i
    for i in $(seq 1 "$(node_count)"); do
        echo "=== node$i"
        on_node "$i" corosync-quorumtool -s || true
    done
}

case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    cut) [ $# -eq 2 ] || usage; cmd_cut "$2" ;;
    heal) [ $# -eq 2 ] || usage; cmd_heal "$2" ;;
    isolate) [ $# -eq 3 ] || usage; cmd_isolate "$2" "$3" ;;
    stop-corosync) [ $# -eq 2 ] || usage; valid_node "$2"; stop_pidfile "$(node_dir "$2")/corosync.pid" ;;
    kill-corosync) [ $# -eq 2 ] || usage; valid_node "$2"
        pidfile="$(node_dir "$2")/corosync.pid"
        [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null \
            || die "corosync is not running on node $2; start it with: $0 start-corosync $2"
        kill -KILL "$(cat "$pidfile")"
        rm -f "$pidfile" ;;
    restart-apiserver) stop_pidfile "$cp_dir/kube-apiserver.pid"; start_apiserver ;;
    start-corosync) [ $# -eq 2 ] || usage; cmd_start_corosync "$2" ;;
    stop-kubelet) [ $# -eq 2 ] || usage; valid_node "$2"; stop_pidfile "$(node_dir "$2")/kubelet.pid" ;;
    start-kubelet) [ $# -eq 2 ] || usage; cmd_start_kubelet "$2" ;;
    stop-node) [ $# -eq 2 ] || usage; cmd_stop_node "$2" ;;
    start-node) [ $# -eq 2 ] || usage; cmd_start_node "$2" ;;
    exec) [ $# -ge 3 ] || usage; valid_node "$2"; i="$2"; shift 2; on_node "$i" "$@" ;;
    kubectl) shift; kubectl "$@" ;;
    status) cmd_status ;;
    *) usage ;;
esac
