#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from the Go module proxy at the versions hack/k8s/go.mod
# pins, once. The binaries are cached under ~/.cache/votequorum-operator/k8s/<version>/bin; a later
# run finds them and returns at once.
#
#   hack/build-k8s.sh              build if missing, print progress
#   hack/build-k8s.sh --print-dir  print the bin directory only (no build)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
module="$here/k8s"
version="$(awk '$1 == "k8s.io/kubernetes" {print $2; exit}' "$module/go.mod")"
[ -n "$version" ] || { echo "build-k8s: no k8s.io/kubernetes version in $module/go.mod" >&2; exit 1; }
cache="${VQ_CACHE:-$HOME/.cache/votequorum-operator}/k8s/${version#v}"
bin="$cache/bin"

if [ "${1:-}" = "--print-dir" ]; then
    echo "$bin"
    exit 0
fi

log() { printf '%s build-k8s: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kubectl" ] && [ -x "$bin/etcd" ] && [ -f "$cache/VERSION" ]; then
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
for target in kube-apiserver:k8s.io/kubernetes/cmd/kube-apiserver kubectl:k8s.io/kubernetes/cmd/kubectl etcd:./cmd/etcd; do
    name="${target%%:*}"; pkg="${target#*:}"
    log "building $name ($pkg); this takes minutes on a small machine"
    go build -trimpath -ldflags "$ldflags" -o "$tmp/$name" "$pkg"
    log "built $name in $(( $(date +%s) - start )) s so far"
done
mv "$tmp"/kube-apiserver "$tmp"/kubectl "$tmp"/etcd "$bin/"
echo "$version" > "$cache/VERSION"
"$bin/kube-apiserver" --version
log "done in $(( $(date +%s) - start )) s: $bin"
