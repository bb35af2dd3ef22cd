#!/usr/bin/env bash
# A real corosync cluster on one machine, for tests and the demo. Each node runs Debian's corosync
# in its own network namespace (libqb's IPC sockets are per namespace) with a private /run and
# /var/lib/corosync, on a private bridge. Partitions are real: a link taken down, or nftables drops.
#
#   corosync-cluster.sh up N          start nodes node1..nodeN and wait until all are quorate
#   corosync-cluster.sh down          stop everything this script started and remove what it made
#   corosync-cluster.sh cut I         take node I off the network
#   corosync-cluster.sh heal I        put node I back, and drop any isolate rules involving it
#   corosync-cluster.sh isolate I J   drop traffic between nodes I and J only
#   corosync-cluster.sh stop I        stop corosync on node I (its namespace stays)
#   corosync-cluster.sh start I       start corosync on node I again
#   corosync-cluster.sh exec I CMD…   run CMD on node I (its namespace and its /run)
#   corosync-cluster.sh status        corosync-quorumtool -s of every node
#
# Settings (environment): VQ_CLUSTER_DIR (/tmp/vq-corosync), VQ_CLUSTER_NAME (vqtest),
# VQ_TOKEN (1000 ms), VQ_TWO_NODE (1 for two_node), VQ_QUORUM_EXTRA (lines for the quorum section),
# VQ_CONF_EXTRA (top-level sections, such as uidgid { uid: … gid: … }),
# VQ_UP_TIMEOUT (60 s).
set -euo pipefail

state="${VQ_CLUSTER_DIR:-/tmp/vq-corosync}"
here="$(cd "$(dirname "$0")" && pwd)"
subnet="10.77.0"
bridge="vqbr0"
host_address="$subnet.254"

die() { echo "corosync-cluster: $*" >&2; exit 1; }
ns() { echo "vqcs$1"; }
node_dir() { echo "$state/node$1"; }
node_count() { ls -d "$state"/node* 2>/dev/null | wc -l; }

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 2; }

need_root() { [ "$(id -u)" = 0 ] || die "needs root (network namespaces, bridges, mounts)"; }

install_corosync() {
    local missing=()
    command -v corosync >/dev/null || missing+=(corosync)
    command -v nft >/dev/null || missing+=(nftables)
    command -v ip >/dev/null || missing+=(iproute2)
    command -v unshare >/dev/null || missing+=(util-linux)
    [ ${#missing[@]} -eq 0 ] && return
    echo "corosync-cluster: installing ${missing[*]} from Debian" >&2
    # Keep the package from starting a corosync of its own on the host.
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }
    [ "$created" = 1 ] && rm -f "$policy"
    command -v corosync >/dev/null || die "corosync could not be installed"
}

valid_node() {
    [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ -d "$(node_dir "$1")" ] || die "no node $1 (nodes: 1..$(node_count))"
}

# Inside a node: its own /run and /var/lib/corosync, and an /etc/hosts and resolv.conf that answer
# every name and address lookup locally, so nothing ever leaves the bridge. Once hack/pacemaker.sh
# has made the node's pacemaker directory: its own /var/lib/pacemaker and /var/log/pacemaker, and
# /usr/sbin with the cluster's fence agents (fence_record) laid over it (a read-only overlay).
node_mounts='mount --make-rprivate / &&
    mount --bind "$1/run" /run &&
    mount --bind "$1/lib" /var/lib/corosync &&
    mount --bind "$1/etc/hosts" /etc/hosts &&
    mount --bind "$1/etc/resolv.conf" /etc/resolv.conf &&
    if [ -d "$1/pacemaker" ]; then
        mount --bind "$1/pacemaker/lib" /var/lib/pacemaker &&
        mount --bind "$1/pacemaker/log" /var/log/pacemaker &&
        mount -t overlay vqfence -o "lowerdir=${1%/*}/fence-agents:/usr/sbin" /usr/sbin
    fi'

# Runs a command inside node I: its network namespace, with its own /run and /var/lib/corosync.
on_node() {
    local i="$1"; shift
    ip netns exec "$(ns "$i")" unshare -m sh -c "$node_mounts"' && shift && exec "$@"' on-node "$(node_dir "$i")" "$@"
}

write_hosts() {
    local file="$1" n="$2" j
    {
        echo "127.0.0.1 localhost $(hostname)"
        echo "$host_address vqhost"
        for j in $(seq 1 "$n"); do echo "$subnet.$j node$j"; done
    } > "$file"
}

write_config() {
    local i="$1" n="$2" dir; dir="$(node_dir "$i")"
    {
        echo "totem {"
        echo "    version: 2"
        echo "    cluster_name: ${VQ_CLUSTER_NAME:-vqtest}"
        echo "    transport: knet"
        echo "    token: ${VQ_TOKEN:-1000}"
        echo "    crypto_cipher: none"
        echo "    crypto_hash: none"
        echo "}"
        echo "nodelist {"
        for j in $(seq 1 "$n"); do
            echo "    node {"
            echo "        ring0_addr: $subnet.$j"
            echo "        name: node$j"
            echo "        nodeid: $j"
            echo "    }"
        done
        echo "}"
        echo "quorum {"
        echo "    provider: corosync_votequorum"
        [ "${VQ_TWO_NODE:-0}" = 1 ] && echo "    two_node: 1"
        [ -n "${VQ_QUORUM_EXTRA:-}" ] && printf '%s\n' "$VQ_QUORUM_EXTRA" | sed 's/^/    /'
        echo "}"
        [ -n "${VQ_CONF_EXTRA:-}" ] && printf '%s\n' "$VQ_CONF_EXTRA"
        echo "logging {"
        echo "    to_logfile: yes"
        echo "    logfile: $dir/log/corosync.log"
        echo "    to_syslog: no"
        echo "    to_stderr: no"
        echo "    timestamp: hires"
        echo "}"
    } > "$dir/corosync.conf"
}

wait_quorate() {
    local n="$1" deadline=$(( $(date +%s) + ${VQ_UP_TIMEOUT:-60} )) i out
    for i in $(seq 1 "$n"); do
        while :; do
            out="$(on_node "$i" corosync-quorumtool -s 2>&1 || true)"
            if grep -Eq '^Quorate: +Yes' <<<"$out" && grep -Eq "^Nodes: +$n\$" <<<"$out"; then break; fi
            if [ "$(date +%s)" -ge "$deadline" ]; then
                echo "$out" >&2
                tail -20 "$(node_dir "$i")/log/corosync.log" >&2 2>/dev/null || true
                die "node $i is not quorate with $n nodes after ${VQ_UP_TIMEOUT:-60} s"
            fi
            sleep 0.5
        done
    done
}

cmd_up() {
    local n="${1:-}"
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 32 ] || die "up needs a node count from 1 to 32"
    need_root
    install_corosync
    [ -d "$state" ] && [ "$(node_count)" -gt 0 ] && die "a cluster is already up in $state; run down first"
    mkdir -p "$state"

    ip link add "$bridge" type bridge
    ip addr add "$host_address/24" dev "$bridge"
    ip link set "$bridge" up
    for i in $(seq 1 "$n"); do
        local dir; dir="$(node_dir "$i")"
        mkdir -p "$dir/run" "$dir/lib" "$dir/log" "$dir/etc"
        write_hosts "$dir/etc/hosts" "$n"
        echo "nameserver 127.0.0.1" > "$dir/etc/resolv.conf"
        ip netns add "$(ns "$i")"
        ip link add "vqv$i" type veth peer name eth0 netns "$(ns "$i")"
        ip link set "vqv$i" master "$bridge" up
        ip -n "$(ns "$i")" addr add "$subnet.$i/24" dev eth0
        ip -n "$(ns "$i")" link set lo up
        ip -n "$(ns "$i")" link set eth0 up
        write_config "$i" "$n"
    done
    for i in $(seq 1 "$n"); do start_corosync "$i"; done
    wait_quorate "$n"
    echo "corosync-cluster: $n nodes quorate (cluster ${VQ_CLUSTER_NAME:-vqtest}, token ${VQ_TOKEN:-1000} ms, state in $state)"
}

start_corosync() {
    local i="$1" dir; dir="$(node_dir "$1")"
    # -f keeps corosync in the foreground, so the pid recorded is corosync's own.
    setsid nohup ip netns exec "$(ns "$i")" unshare -m sh -c "$node_mounts"' && exec corosync -f -c "$1/corosync.conf"' \
        corosync-node "$dir" \
        >> "$dir/log/stdout.log" 2>&1 < /dev/null &
    echo $! > "$dir/corosync.pid"
}

cmd_stop() {
    valid_node "$1"
    local pidfile; pidfile="$(node_dir "$1")/corosync.pid"
    if [ -f "$pidfile" ]; then
        local pid; pid="$(cat "$pidfile")"
        stop_pid "$pid"
        remove_ipc_files "$pid"
    fi
    rm -f "$pidfile"
}

cmd_start() {
    valid_node "$1"
    local pidfile; pidfile="$(node_dir "$1")/corosync.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then die "corosync already runs on node $1"; fi
    start_corosync "$1"
    local deadline=$(( $(date +%s) + ${VQ_UP_TIMEOUT:-60} ))
    local rc
    while :; do
        # quorumtool answers 0 (quorate) or 2 (not quorate) once corosync is up, 1 before
        rc=0; on_node "$1" corosync-quorumtool -s >/dev/null 2>&1 || rc=$?
        { [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; } && break
        [ "$(date +%s)" -lt "$deadline" ] || die "corosync on node $1 did not answer within ${VQ_UP_TIMEOUT:-60} s"
        sleep 0.2
    done
}

stop_pid() {
    local pid="$1" waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
}

# libqb leaves files in /dev/shm behind: corosync's blackbox (qb-corosync-PID-blackbox-*, 8 MB, on
# every exit) and the IPC files (qb-SERVER-CLIENT-…) of a killed process. Remove those of the given
# (now gone) processes.
remove_ipc_files() {
    local pid f
    for pid in "$@"; do
        kill -0 "$pid" 2>/dev/null && continue
        rm -f "/dev/shm/qb-corosync-$pid-blackbox-header" "/dev/shm/qb-corosync-$pid-blackbox-data"
        for f in /dev/shm/qb-"$pid"-* /dev/shm/qb-*-"$pid"-*; do
            [ -e "$f" ] || continue
            [[ "${f#/dev/shm/}" =~ ^qb-([0-9]+-$pid|$pid-[0-9]+)-[0-9]+-[A-Za-z0-9]+$ ]] && rm -rf -- "$f"
        done
    done
}

cmd_down() {
    need_root
    local netns pid
    # Pacemaker first, in order, if hack/pacemaker.sh started it (bounded; it kills what is left).
    if ls -d "$state"/node*/pacemaker >/dev/null 2>&1 && [ -f "$here/pacemaker.sh" ]; then
        bash "$here/pacemaker.sh" down || true
    fi
    local killed=() namespaces
    namespaces="$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^vqcs[0-9]+$' || true)"
    # Everything still running on the nodes goes, all at once: corosync (which takes a few seconds
    # to leave), and any agent a test started there.
    for netns in $namespaces; do
        for pid in $(ip netns pids "$netns" 2>/dev/null || true); do stop_pid "$pid" & killed+=("$pid"); done
    done
    wait
    for netns in $namespaces; do ip netns del "$netns" 2>/dev/null || true; done
    remove_ipc_files "${killed[@]}"
    for pidfile in "$state"/node*/corosync.pid; do
        [ -f "$pidfile" ] && stop_pid "$(cat "$pidfile")" && remove_ipc_files "$(cat "$pidfile")"
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^vqv[0-9]+$' || true); do
        ip link del "$link" 2>/dev/null || true
    done
    ip link del "$bridge" 2>/dev/null || true
    rm -rf "$state"
}

cmd_cut() {
    valid_node "$1"
    ip link set "vqv$1" down
}

# nftables drops for node I, rebuilt from the list of peers it is isolated from.
apply_isolation() {
    local i="$1" file; file="$(node_dir "$i")/isolated"
    ip netns exec "$(ns "$i")" nft delete table inet vqisolate 2>/dev/null || true
    [ -s "$file" ] || return 0
    local rules="table inet vqisolate { chain input { type filter hook input priority 0; policy accept;"
    local peer
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
    ip link set "vqv$1" up
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

cmd_status() {
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
    stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
    start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
    exec) [ $# -ge 3 ] || usage; valid_node "$2"; i="$2"; shift 2
        # exec: the command replaces this script, so its pid and exit are the command's own
        exec ip netns exec "$(ns "$i")" unshare -m sh -c "$node_mounts"' && shift && exec "$@"' on-node "$(node_dir "$i")" "$@" ;;
    status) cmd_status ;;
    *) usage ;;
esac
