#!/usr/bin/env bash
# make demo: the whole system on this machine, as users run it. Three real nodes (corosync,
# containerd and a kubelet each) and a control plane (hack/real-nodes.sh); votequorum-operator
# installed from its Helm chart with the image built here; a small application; an Enforce policy
# from deploy/examples with short demo timings and self-fencing. Then node 3 is cut off and healed,
# and node 1 is given two votes.
#
# SCENE=two-node: two real nodes whose corosync.conf declares a quorum device instead of two_node,
# and a policy that makes the agents that device, backed by a Kubernetes Lease. Node 2 is cut off
# (node 1 holds the Lease and stays quorate), then node 1, the holder (node 2 takes the Lease over
# once it has run out).
#
#   hack/demo.sh          run it, then remove everything (also on Ctrl-C)
#   KEEP=1 hack/demo.sh   run it and leave it running; `hack/demo.sh down` removes it
#   hack/demo.sh down     remove what a kept demo left
#
# In the demo, a node's self-fence action powers the test node off: the agent's action leaves a
# request in a directory the demo watches, and the demo stops everything in that node's namespace,
# as a reset would. Its watchdog is a file that grows by one byte per feed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
nodes_sh="$here/real-nodes.sh"
state="${VQ_NODES_DIR:-/tmp/vq-real-nodes}"
demo_dir="$state/demo"
cluster="${VQ_CLUSTER_NAME:-vqreal}"
namespace=votequorum-system
keep="${KEEP:-0}"
scene="${SCENE:-three-node}"
export PATH="$PATH:/usr/local/go/bin"

bold() { printf '\n\033[1m%s  %s\033[0m\n' "$(date -u +%H:%M:%S)" "$*"; }
say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { echo "demo: $*" >&2; exit 1; }
k() { "$nodes_sh" kubectl "$@"; }
wait_until() { # seconds, description, command...
    local limit="$1" what="$2"; shift 2
    local deadline=$(( $(date +%s) + limit ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${limit}s waiting for $what"
        sleep 1
    done
}

if [ "${1:-}" = "down" ]; then
    "$nodes_sh" down
    exit 0
fi
case "$scene" in three-node|two-node) ;; *) die "SCENE must be three-node or two-node, not '$scene'" ;; esac
[ "$(id -u)" = 0 ] || die "needs root: network namespaces, containerd and kubelets (run: sudo make demo)"

cleanup() {
    local code=$?
    trap - EXIT INT TERM
    if [ "$keep" = 1 ] && [ "$code" = 0 ]; then
        return
    fi
    bold "Removing everything the demo made"
    "$nodes_sh" down >/dev/null 2>&1 || "$nodes_sh" down
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bold "Building what the demo needs (the first run takes several minutes; later runs reuse it)"
say "the jar and the image (make image)"
make -C "$repo" -s image
say "the control plane and kubelet binaries (make k8s-nodes), and helm (make helm)"
"$here/build-k8s.sh" --nodes
"$here/build-helm.sh"
helm="$("$here/build-helm.sh" --print-dir)/helm"
version="$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$repo/pom.xml" | head -1)"
[ -n "$version" ] || die "no project version in pom.xml"

install_chart() { # nodes...
    for n in "$@"; do k label node "$n" votequorum.io/corosync=true --overwrite >/dev/null; done
    k create namespace "$namespace" >/dev/null
    k label namespace "$namespace" pod-security.kubernetes.io/enforce=privileged >/dev/null
    "$helm" install votequorum "$repo/charts/votequorum-operator" -n "$namespace" \
        --set image.repository=votequorum-operator --set image.tag="$version" --set image.pullPolicy=Never \
        --set agent.leaseDuration=6s --set agent.renewInterval=1s >/dev/null
}

if [ "$scene" = two-node ]; then
    bold "Starting a control plane and two real nodes; corosync.conf declares a quorum device, not two_node"
    "$nodes_sh" down >/dev/null 2>&1 || true
    VQ_QUORUM_DEVICE=1 VQ_IMAGES="$repo/target/image/votequorum-operator.tar" "$nodes_sh" up 2
    export KUBECONFIG="$state/admin.kubeconfig"
    k get nodes -o wide
    sed -n '/^quorum/,/^}/p' "$state/node1/corosync.conf" 2>/dev/null || true

    bold "Installing votequorum-operator from charts/votequorum-operator"
    install_chart node1 node2
    k -n "$namespace" rollout status daemonset/votequorum-agent --timeout=180s
    k -n "$namespace" rollout status deployment/votequorum-operator --timeout=180s

    bold "The policy: Enforce, with a Kubernetes Lease as corosync's quorum device"
    k apply -f - <<POLICY
apiVersion: votequorum.io/v1alpha1
kind: VoteQuorumPolicy
metadata:
  name: $cluster
spec:
  clusterName: $cluster
  quorumDevice:
    enabled: true
    leaseDuration: 15s
    renewInterval: 2s
    clockSkewMargin: 2s
  fencing:
    mode: Enforce
    evictAfter: 3s
    healthyDelay: 5s
POLICY
    casting() {
        [ "$(k get vqp "$cluster" -o jsonpath='{.status.quorumDevice.casting[*]}')" = "node1 node2" ]
    }
    wait_until 120 "both nodes to cast the device's vote (the Lease is taken once a whole Lease has passed)" casting
    k get qs
    k get vqp
    say "$(k get vqp "$cluster" -o jsonpath='{.status.conditions[?(@.type=="QuorumDevice")].message}')"
    "$nodes_sh" exec 1 corosync-quorumtool -s | sed -n '/Votequorum information/,$p'

    quorate() { "$nodes_sh" exec "$1" corosync-quorumtool -s 2>/dev/null | grep -q 'Quorate: *Yes'; }
    fenced() { k get vqp "$cluster" -o jsonpath='{.status.fencedNodes[*].nodeName}' | grep -qx "$1"; }
    unfenced() { [ -z "$(k get vqp "$cluster" -o jsonpath='{.status.fencedNodes[*].nodeName}')" ]; }
    settled() { quorate "$1" && ! quorate "$2" && fenced "node$2"; } # quorate node, lost node
    watch_split() { # seconds, quorate node, lost node
        local limit="$1" t0 last="" line
        t0=$(date +%s)
        for _ in $(seq 1 "$limit"); do
            line="quorate node1=$(quorate 1 && echo yes || echo no) node2=$(quorate 2 && echo yes || echo no)"
            line="$line | Lease holder=$(k -n "$namespace" get lease "votequorum-device-$cluster" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)"
            line="$line | fenced=[$(k get vqp "$cluster" -o jsonpath='{range .status.fencedNodes[*]}{.nodeName}={.stage} {end}' 2>/dev/null)]"
            if [ "$line" != "$last" ]; then
                printf '+%3ss  %s\n' "$(( $(date +%s) - t0 ))" "$line"
                last="$line"
            fi
            if settled "$2" "$3"; then return 0; fi
            sleep 1
        done
        die "the split did not settle within ${limit}s"
    }

    bold "Cutting node2 off (corosync and the API server): node1 holds the Lease and stays quorate"
    "$nodes_sh" cut 2
    watch_split 90 1 2
    "$nodes_sh" heal 2
    wait_until 120 "node2 to be unfenced" unfenced
    wait_until 120 "both nodes to cast the vote again" casting
    say "healed: node2 is back and unfenced"

    bold "Cutting node1, the Lease's holder: node2 takes the Lease once it has run out (15 s + 2 s), never before"
    "$nodes_sh" cut 1
    watch_split 120 2 1
    k get qs
    "$nodes_sh" exec 2 corosync-quorumtool -s | sed -n '/Votequorum information/,$p'
    "$nodes_sh" heal 1
    wait_until 120 "node1 to be unfenced" unfenced
    say "healed: node1 is back and unfenced; the Lease is held by $(k -n "$namespace" get lease "votequorum-device-$cluster" -o jsonpath='{.spec.holderIdentity}')"
    k get vqp
    if [ "$keep" = 1 ]; then
        bold "The demo keeps running"
        cat <<KEPT
  export KUBECONFIG=$state/admin.kubeconfig
  kubectl get qs; kubectl get vqp; kubectl -n $namespace get lease votequorum-device-$cluster
  cut and heal a node:     hack/real-nodes.sh cut 2; hack/real-nodes.sh heal 2
  corosync on a node:      hack/real-nodes.sh exec 1 corosync-quorumtool -s
  remove everything:       make demo-down
KEPT
    else
        bold "Done; removing everything"
    fi
    exit 0
fi

bold "Starting a control plane and three real nodes (corosync + containerd + kubelet each)"
"$nodes_sh" down >/dev/null 2>&1 || true
VQ_IMAGES="$repo/target/image/votequorum-operator.tar" "$nodes_sh" up 3
export KUBECONFIG="$state/admin.kubeconfig"
mkdir -p "$demo_dir/watchdog" "$demo_dir/power-off"
touch "$demo_dir"/watchdog/node{1,2,3}
k get nodes -o wide

bold "Installing votequorum-operator from charts/votequorum-operator"
install_chart node1 node2 node3
# The demo's stand-ins for a watchdog device and a power switch, one file per node on the host.
k -n "$namespace" patch daemonset votequorum-agent --type json -p "$(cat <<EOF
[
 {"op": "add", "path": "/spec/template/spec/volumes/-",
  "value": {"name": "demo", "hostPath": {"path": "$demo_dir", "type": "Directory"}}},
 {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-",
  "value": {"name": "demo", "mountPath": "/var/lib/vq-demo"}},
 {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
  "value": {"name": "VOTEQUORUM_AGENT_WATCHDOG_DEVICE", "value": "/var/lib/vq-demo/watchdog/\$(NODE_NAME)"}},
 {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
  "value": {"name": "VOTEQUORUM_AGENT_WATCHDOG_TIMEOUT", "value": "4s"}},
 {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
  "value": {"name": "VOTEQUORUM_AGENT_SELF_FENCE_COMMAND", "value": "touch,/var/lib/vq-demo/power-off/\$(NODE_NAME)"}}
]
EOF
)" >/dev/null
k -n "$namespace" rollout status daemonset/votequorum-agent --timeout=180s
k -n "$namespace" rollout status deployment/votequorum-operator --timeout=180s
k -n "$namespace" get pods -o wide

bold "A small application: a Deployment with a PodDisruptionBudget, and a StatefulSet that prefers node3"
k apply -f "$here/demo-app.yaml" >/dev/null
k -n shop rollout status deployment/web --timeout=120s
k -n shop rollout status statefulset/db --timeout=120s
k -n shop get pods -o wide

bold "The policy: deploy/examples/policy-enforce.yaml for cluster $cluster, with demo timings"
sed -e "s/name: mycluster/name: $cluster/" -e "s/clusterName: mycluster/clusterName: $cluster/" \
    -e "s/evictAfter: 10s/evictAfter: 3s/" -e "s/fenceTimeout: 60s/fenceTimeout: 30s/" \
    -e "s/healthyDelay: 30s/healthyDelay: 5s/" -e "s/selfFenceAfter: 30s/selfFenceAfter: 5s/" \
    -e "s/safetyMargin: 10s/safetyMargin: 5s/" "$repo/deploy/examples/policy-enforce.yaml" | k apply -f -
armed() { [ "$(k get qs node3 -o jsonpath='{.status.watchdog.state}')" = Armed ]; }
wait_until 90 "the policy to see a quorate cluster" sh -c \
    "'$nodes_sh' kubectl get vqp '$cluster' -o jsonpath='{.status.conditions[?(@.type==\"Quorate\")].status}' | grep -q True"
wait_until 90 "node3's watchdog to be armed" armed
k get qs
k get vqp
say "node3's watchdog: $(k get qs node3 -o jsonpath='{.status.watchdog.message}')"

bold "Cutting node3 off the network (corosync and kubelet lose everything)"
cut_at=$(date +%s)
"$nodes_sh" cut 3
say "node3 is cut; what follows is watched every second (times since the cut)"
last=""
powered_off=0
report() {
    local members quorate3 node3 taints fenced db web
    members="$("$nodes_sh" exec 1 corosync-quorumtool -l 2>/dev/null | grep -o 'node[0-9]*' | tr '\n' ' ')"
    quorate3="$(k get qs node3 -o jsonpath='{.status.quorate}' 2>/dev/null)"
    node3="$(k get node node3 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.spec.unschedulable}' 2>/dev/null)"
    taints="$(k get node node3 -o jsonpath='{range .spec.taints[*]}{.key}:{.effect} {end}' 2>/dev/null)"
    fenced="$(k get vqp "$cluster" -o jsonpath='{range .status.fencedNodes[*]}{.nodeName}={.stage} {end}' 2>/dev/null)"
    db="$(k -n shop get pods -l app=db -o jsonpath='{range .items[*]}{.metadata.name}@{.spec.nodeName}{.metadata.deletionTimestamp}:{.status.phase} {end}' 2>/dev/null)"
    web="$(k -n shop get pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{.metadata.deletionTimestamp}:{.status.phase} {end}' 2>/dev/null)"
    local line="corosync members(node1)=[${members% }] | qs node3 quorate=${quorate3:-?} | node3 Ready/unschedulable=${node3} | taints=[${taints% }] | fenced=[${fenced% }] | db=[${db% }] | web=[${web% }]"
    if [ "$line" != "$last" ]; then
        printf '+%3ss  %s\n' "$(( $(date +%s) - cut_at ))" "$line"
        last="$line"
    fi
}
moved() { k -n shop get pods -l app=db -o jsonpath='{.items[0].spec.nodeName}{.items[0].status.phase}' | grep -Eq '^node[12]Running$'; }
for _ in $(seq 1 240); do
    report
    if [ "$powered_off" = 0 ] && [ -e "$demo_dir/power-off/node3" ]; then
        printf '+%3ss  node3 self-fences: its agent asked for power-off; everything in node3 stops\n' \
            "$(( $(date +%s) - cut_at ))"
        "$nodes_sh" stop-node 3 >/dev/null
        powered_off=1
    fi
    if moved && k get node node3 -o jsonpath='{.spec.taints[*].key}' | grep -q out-of-service; then
        report
        break
    fi
    sleep 1
done
moved || die "db-0 did not start on a surviving node within 240 s"
say "node3 is fenced: $(k get vqp "$cluster" -o jsonpath='{.status.fencedNodes[0].evidence}')"
k -n shop get pods -o wide

bold "Healing: node3 back on the network and powered on again"
rm -f "$demo_dir/power-off/node3"
"$nodes_sh" heal 3
"$nodes_sh" start-node 3
heal_at=$(date +%s)
wait_until 180 "node3 to be unfenced" sh -c \
    "[ -z \"\$('$nodes_sh' kubectl get node node3 -o jsonpath='{.spec.taints[*].key}' | grep -o votequorum.io/inquorate)\" ] \
     && ! '$nodes_sh' kubectl get node node3 -o jsonpath='{.spec.taints[*].key}' | grep -q out-of-service \
     && [ \"\$('$nodes_sh' kubectl get node node3 -o jsonpath='{.spec.unschedulable}')\" != true ]"
say "node3 unfenced $(( $(date +%s) - heal_at )) s after the heal"
k get nodes
k get qs
k get vqp

bold "Votes from the policy: node1 gets two votes"
k patch vqp "$cluster" --type merge -p '{"spec":{"votes":[{"nodeName":"node1","votes":2}]}}' >/dev/null
wait_until 120 "corosync to give node1 two votes" sh -c \
    "'$nodes_sh' exec 1 corosync-quorumtool -s | grep -Eq 'Total votes: +4'"
"$nodes_sh" exec 1 corosync-quorumtool -s | sed -n '/Votequorum information/,$p'
k get qs

if [ "$keep" = 1 ]; then
    # Nothing watches the demo's power switch from now on: a node that "fences itself" would keep
    # running, so its stand-in watchdog must no longer count as proof that it is off.
    k patch vqp "$cluster" --type merge -p '{"spec":{"fencing":{"noQuorumAction":"None"}}}' >/dev/null
    bold "The demo keeps running (self-fencing is off: confirm a cut node off yourself)"
    cat <<EOF
  export KUBECONFIG=$state/admin.kubeconfig
  kubectl get qs; kubectl get vqp; kubectl -n shop get pods -o wide   (kubectl: $("$here/build-k8s.sh" --print-dir)/kubectl)
  cut and heal a node:     hack/real-nodes.sh cut 2; hack/real-nodes.sh heal 2
  power it off, confirm:   hack/real-nodes.sh stop-node 2
                           kubectl annotate node node2 votequorum.io/confirmed-off=\$(date -u +%Y-%m-%dT%H:%M:%SZ)
  power a node on again:   hack/real-nodes.sh start-node 3
  corosync on a node:      hack/real-nodes.sh exec 1 corosync-quorumtool -s
  remove everything:       make demo-down
EOF
else
    bold "Done; removing everything"
fi
