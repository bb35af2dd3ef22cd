#!/usr/bin/env bash
# Debian's Pacemaker (2.1.5) on the nodes of the corosync cluster hack/corosync-cluster.sh made, with
# one stonith resource of the recording fence agent hack/fence_record for all nodes.
#
#   pacemaker.sh up              start Pacemaker on every node, wait until it has a DC and every node
#                                online, then configure fencing (fence_record) and wait until every
#                                node's fencer can use it (about 6-9 s; on failure it stops it again)
#   pacemaker.sh down            stop Pacemaker on every node and remove its files; corosync stays
#                                (corosync-cluster.sh down removes everything, Pacemaker included)
#   pacemaker.sh status [I]      crm_mon -1 on node I (default 1)
#   pacemaker.sh history I       the fence history, as node I's fencer knows it, in XML (UTC times)
#   pacemaker.sh records         what fence_record recorded: "<UTC time> <action> <target>" a line
#   pacemaker.sh exec I CMD…     run CMD on node I (as corosync-cluster.sh exec)
#
# Each node runs pacemakerd in its network namespace and mounts (see corosync-cluster.sh's
# node_mounts): its /run, and its own /var/lib/pacemaker and /var/log/pacemaker (from
# $VQ_CLUSTER_DIR/nodeI/pacemaker). Pacemaker runs fence agents from /usr/sbin only: the nodes see
# /usr/sbin with $VQ_CLUSTER_DIR/fence-agents (holding fence_record) laid over it, read-only, so
# nothing is written outside the state directory. Fence targets are the corosync node names,
# node1..nodeN; fence_record appends to $VQ_CLUSTER_DIR/fence-records. No real machine is fenced,
# and pacemakerd runs without CAP_SYS_BOOT so that its "panic" cannot reboot this host.
#
# Cluster options: stonith-enabled=true (set only once every node is online, so nothing is fenced at
# start-up), startup-fencing=true (the default), stonith-timeout=$VQ_STONITH_TIMEOUT (20 s),
# stonith-action=$VQ_STONITH_ACTION (reboot), no fencing delays, dc-deadtime=$VQ_DC_DEADTIME (2 s),
# fence-reaction=stop, no-quorum-policy=stop.
#
# Settings (environment): VQ_CLUSTER_DIR (/tmp/vq-corosync), VQ_PCMK_TIMEOUT (90 s, for up),
# VQ_PCMK_STOP_TIMEOUT (30 s, for down), and those above.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
state="${VQ_CLUSTER_DIR:-/tmp/vq-corosync}"
cluster="$here/corosync-cluster.sh"
records="$state/fence-records"
agents="$state/fence-agents"

die() { echo "pacemaker: $*" >&2; exit 1; }
usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 2; }
need_root() { [ "$(id -u)" = 0 ] || die "needs root"; }
ns() { echo "vqcs$1"; }
node_dir() { echo "$state/node$1"; }
node_count() { local d c=0; for d in "$state"/node[0-9]*; do [ -d "$d" ] && c=$((c + 1)); done; echo "$c"; }
on_node() { bash "$cluster" exec "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

valid_node() {
    [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ -d "$(node_dir "$1")" ] || die "no node $1 (nodes: 1..$(node_count))"
}

install_pacemaker() {
    command -v pacemakerd >/dev/null && command -v stonith_admin >/dev/null && return
    echo "pacemaker: installing pacemaker and pacemaker-cli-utils from Debian" >&2
    # Keep the package from starting a Pacemaker of its own on the host.
    local policy=/usr/sbin/policy-rc.d created=0 rc=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends pacemaker pacemaker-cli-utils >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends pacemaker pacemaker-cli-utils; } \
        || rc=$?
    [ "$created" = 1 ] && rm -f "$policy"
    [ "$rc" = 0 ] && command -v pacemakerd >/dev/null || die "pacemaker could not be installed"
}

# The pid of the process named $2 in node $1's network namespace, if any.
pid_on_node() {
    local pid
    for pid in $(ip netns pids "$(ns "$1")" 2>/dev/null || true); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && { echo "$pid"; return 0; }
    done
    return 1
}

# Pacemaker's processes in node $1's namespace: its daemons and the fence agents they run.
pacemaker_pids() {
    local pid comm
    for pid in $(ip netns pids "$(ns "$1")" 2>/dev/null || true); do
        comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || continue
        case "$comm" in pacemakerd|pacemaker-*|fence_*) echo "$pid" ;; esac
    done
}

# The configuration every node starts with: fencing off until all nodes are online.
write_cib() {
    local file="$1"
    cat > "$file" <<EOF
<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="${VQ_DC_DEADTIME:-2s}"/>
        <nvpair id="cib-bootstrap-options-fence-reaction" name="fence-reaction" value="stop"/>
        <nvpair id="cib-bootstrap-options-no-quorum-policy" name="no-quorum-policy" value="stop"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
EOF
}

start_pacemaker() {
    local i="$1" dir; dir="$(node_dir "$1")/pacemaker"
    # No CAP_SYS_BOOT: Pacemaker "panics" by reboot(2) (and sysrq), which must never reach this host.
    setsid nohup bash "$cluster" exec "$i" setpriv --bounding-set -sys_boot \
        env PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none PCMK_logpriority=info \
        PCMK_panic_action=reboot PCMK_fail_fast=no VQ_CLUSTER_DIR="$state" FENCE_RECORD_FILE="$records" \
        pacemakerd >> "$dir/log/stdout.log" 2>&1 < /dev/null &
}

# crm_mon's view on node $1 (XML), or nothing.
crm_mon_xml() { on_node "$1" crm_mon -1 --output-as=xml 2>/dev/null || true; }

# True when node $1 sees a DC and all $2 nodes online.
cluster_formed() {
    local xml; xml="$(crm_mon_xml "$1")"
    grep -q '<current_dc present="true"' <<<"$xml" || return 1
    [ "$(grep -c '<node name="node[0-9]*" id="[0-9]*" online="true"' <<<"$xml")" -eq "$2" ]
}

wait_until() { # description, deadline, command…
    local what="$1" deadline="$2"; shift 2
    while ! "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

fencing_ready() { # node, count
    on_node "$1" stonith_admin --list-registered 2>/dev/null | grep -q '^ *fence-record$' || return 1
    # every node can be fenced from here
    local j
    for j in $(seq 1 "$2"); do
        on_node "$1" stonith_admin --list "node$j" 2>/dev/null | grep -q '^ *fence-record$' || return 1
    done
}

stonith_started() {
    crm_mon_xml 1 | grep -Eq '<resource id="fence-record" resource_agent="stonith:fence_record" role="Started" .*active="true"'
}

cmd_up() {
    need_root
    install_pacemaker
    local n; n="$(node_count)"
    [ "$n" -ge 1 ] || die "no corosync cluster in $state: run corosync-cluster.sh up N first"
    local i
    for i in $(seq 1 "$n"); do
        [ -d "$(node_dir "$i")/pacemaker" ] && die "Pacemaker is already up in $state; run down first"
        pid_on_node "$i" corosync >/dev/null || die "corosync does not run on node $i"
    done
    local start deadline; start="$(now)"
    deadline=$(( $(date +%s) + ${VQ_PCMK_TIMEOUT:-90} ))

    mkdir -p "$agents"
    install -m 0755 "$here/fence_record" "$agents/fence_record"
    : > "$records"
    chmod 0644 "$records"
    for i in $(seq 1 "$n"); do
        local dir; dir="$(node_dir "$i")/pacemaker"
        mkdir -p "$dir/lib/cib" "$dir/lib/pengine" "$dir/lib/blackbox" "$dir/lib/cores" "$dir/log"
        write_cib "$dir/lib/cib/cib.xml"
        chmod 0600 "$dir/lib/cib/cib.xml"
        chown -R hacluster:haclient "$dir/lib" "$dir/log"
        chmod 0750 "$dir/lib" "$dir/lib/cib" "$dir/lib/pengine" "$dir/lib/blackbox" "$dir/log"
    done
    # If up fails from here on, it stops what it started.
    trap 'echo "pacemaker: up failed; stopping Pacemaker again" >&2; cmd_down || true' EXIT
    for i in $(seq 1 "$n"); do start_pacemaker "$i"; done

    for i in $(seq 1 "$n"); do
        if ! wait_until "node $i" "$deadline" cluster_formed "$i" "$n"; then
            crm_mon_xml "$i" >&2
            tail -30 "$(node_dir "$i")/pacemaker/log/pacemaker.log" >&2 2>/dev/null || true
            die "node $i does not see a DC and $n nodes online after ${VQ_PCMK_TIMEOUT:-90} s"
        fi
    done
    local formed; formed="$(elapsed "$start")"

    local hosts="" j
    for j in $(seq 1 "$n"); do hosts="$hosts node$j"; done
    hosts="${hosts# }"
    on_node 1 cibadmin --create -o resources --xml-text "<primitive id=\"fence-record\" class=\"stonith\" type=\"fence_record\">
  <instance_attributes id=\"fence-record-params\">
    <nvpair id=\"fence-record-pcmk_host_list\" name=\"pcmk_host_list\" value=\"$hosts\"/>
    <nvpair id=\"fence-record-pcmk_host_check\" name=\"pcmk_host_check\" value=\"static-list\"/>
    <nvpair id=\"fence-record-hostlist\" name=\"hostlist\" value=\"$hosts\"/>
    <nvpair id=\"fence-record-record_file\" name=\"record_file\" value=\"$records\"/>
  </instance_attributes>
  <operations>
    <op id=\"fence-record-monitor\" name=\"monitor\" interval=\"60s\" timeout=\"20s\"/>
  </operations>
</primitive>" >/dev/null
    local prop value
    for prop in "stonith-timeout=${VQ_STONITH_TIMEOUT:-20s}" "stonith-action=${VQ_STONITH_ACTION:-reboot}" \
        startup-fencing=true stonith-enabled=true; do
        value="${prop#*=}"; prop="${prop%%=*}"
        on_node 1 crm_attribute --type crm_config --name "$prop" --update "$value" >/dev/null
    done

    wait_until "the stonith resource" "$deadline" stonith_started \
        || { crm_mon_xml 1 >&2; die "fence-record did not start within ${VQ_PCMK_TIMEOUT:-90} s"; }
    for i in $(seq 1 "$n"); do
        wait_until "node $i's fencer" "$deadline" fencing_ready "$i" "$n" \
            || { on_node "$i" stonith_admin --list-registered >&2 || true; die "node $i's fencer cannot use fence-record after ${VQ_PCMK_TIMEOUT:-90} s"; }
    done
    trap - EXIT
    local dc; dc="$(crm_mon_xml 1 | sed -n 's/.*<current_dc present="true" .*name="\([^"]*\)".*/\1/p')"
    echo "pacemaker: $n nodes online, DC $dc after $formed s, fencing ready (fence_record) after $(elapsed "$start") s"
}

cmd_down() {
    need_root
    local n i pid; n="$(node_count)"
    local deadline=$(( $(date +%s) + ${VQ_PCMK_STOP_TIMEOUT:-30} ))
    local daemons=()
    for i in $(seq 1 "$n"); do
        if pid="$(pid_on_node "$i" pacemakerd)"; then kill -TERM "$pid" 2>/dev/null || true; daemons+=("$pid"); fi
    done
    local left
    while :; do
        left=0
        for i in $(seq 1 "$n"); do
            [ -z "$(pacemaker_pids "$i")" ] || left=1
        done
        [ "$left" = 0 ] && break
        [ "$(date +%s)" -lt "$deadline" ] || break
        sleep 0.2
    done
    local killed=()
    for i in $(seq 1 "$n"); do
        for pid in $(pacemaker_pids "$i"); do
            echo "pacemaker: killing $(cat "/proc/$pid/comm" 2>/dev/null || echo "?")[$pid] on node $i" >&2
            kill -KILL "$pid" 2>/dev/null || true
            killed+=("$pid")
        done
    done
    # Until whoever reaps orphans (pid 1) has reaped them, they linger as zombies: wait a little.
    local waited=0
    for pid in "${daemons[@]}" "${killed[@]}"; do
        while [ -e "/proc/$pid" ] && [ "$waited" -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    done
    # libqb leaves /dev/shm/qb-SERVER-CLIENT-… of killed processes behind; corosync's too.
    local f base
    for f in /dev/shm/qb-*; do
        [ -e "$f" ] || continue
        base="${f#/dev/shm/qb-}"
        for pid in "${killed[@]}"; do
            case "$base" in "$pid"-*|*-"$pid"-*) kill -0 "$pid" 2>/dev/null || rm -rf -- "$f" ;; esac
        done
    done
    for i in $(seq 1 "$n"); do rm -rf "$(node_dir "$i")/pacemaker"; done
    rm -rf "$agents" "$records"
}

cmd_history() {
    valid_node "$1"
    on_node "$1" env TZ=UTC stonith_admin --history='*' --verbose --output-as=xml
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) valid_node "${2:-1}"; on_node "${2:-1}" crm_mon -1 ;;
    history) [ $# -eq 2 ] || usage; cmd_history "$2" ;;
    records) if [ -f "$records" ]; then cat "$records"; fi ;;
    exec) [ $# -ge 3 ] || usage; valid_node "$2"; i="$2"; shift 2; on_node "$i" "$@" ;;
    *) usage ;;
esac
