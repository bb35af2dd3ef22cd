#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd (and, with --nodes, kube-controller-manager, kube-scheduler
# and kubelet) from the Go module proxy at the versions hack/k8s/go.mod pins, once. The binaries are
# cached under ~/.cache/votequorum-operator/k8s/<version>/bin; a later run finds them and returns at
# once. Only the missing binaries are built.
#
#   hack/build-k8s.sh              build kube-apiserver, kubectl and etcd if missing, print progress
#   hack/build-k8s.sh --nodes      the same, and kube-controller-manager, kube-scheduler and kubelet
#                                  (the control plane and nodes of hack/real-nodes.sh)
#   hack/build-k8s.sh --print-dir  print the bin directory only (no build)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
module="$here/k8s"
version="$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' "$module/go.mod")"
[ -n "$version" ] || { echo "build-k8s: no k8s.io/kubernetes version in $module/go.mod" >&2; exit 1; }
cache="${VQ_CACHE:-$HOME/.cache/votequorum-operator}/k8s/${version#v}"
bin="$cache/bin"

targets=(kube-apiserver:k8s.io/kubernetes/cmd/kube-apiserver kubectl:k8s.io/kubernetes/cmd/kubectl etcd:./cmd/etcd)
case "${1:-}" in
    "") ;;
    --print-dir) echo "$bin"; exit 0 ;;
    --nodes)
        targets+=(kube-scheduler:k8s.io/kubernetes/cmd/kube-scheduler
                  kubelet:k8s.io/kubernetes/cmd/kubelet
                  kube-controller-manager:k8s.io/kubernetes/cmd/kube-controller-manager) ;;
    *) sed -n '2,11s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

log() { printf '%s build-k8s: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

missing=()
for target in "${targets[@]}"; do
    [ -x "$bin/${target%%:*}" ] || missing+=("$target")
done
if [ ${#missing[@]} -eq 0 ] && [ -f "$cache/VERSION" ]; then
    log "Kubernetes $version binaries are cached in $bin"
    exit 0
fi

command -v go >/dev/null || { echo "build-k8s: Go is needed to build kube-apiserver (PATH=$PATH)" >&2; exit 1; }
start=$(date +%s)
mkdir -p "$bin"
tmp="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# kube-apiserver and kubectl report this version, and clients such as kube-api-test read it.
minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

cd "$module"
export GOFLAGS="-mod=mod" CGO_ENABLED=0
log "downloading modules for Kubernetes $version (first run only)"
go mod download
# Each binary lands in the cache as soon as it is built, so an interrupted run keeps what it made.
for target in "${missing[@]}"; do
    name="${target%%:*}"; pkg="${target#*:}"
    log "building $name ($pkg); this takes minutes on a small machine"
    go build -trimpath -ldflags "$ldflags" -o "$tmp/$name" "$pkg"
    mv "$tmp/$name" "$bin/$name"
    log "built $name in $(( $(date +%s) - start )) s so far"
done
echo "$version" > "$cache/VERSION"
for target in "${targets[@]}"; do
    name="${target%%:*}"
    case "$name" in etcd) "$bin/etcd" --version | sed -n 1p ;; kubectl) "$bin/kubectl" version --client | sed -n 1p ;; *) "$bin/$name" --version ;; esac
done
log "done in $(( $(date +%s) - start )) s: $bin"
