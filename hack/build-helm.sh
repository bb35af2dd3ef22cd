#!/usr/bin/env bash
# Builds helm from the Go module proxy at the version hack/helm/go.mod pins, once. The binary is
# cached under ~/.cache/votequorum-operator/helm/<version>/bin; a later run finds it and returns at once.
#
#   hack/build-helm.sh              build if missing, print progress
#   hack/build-helm.sh --print-dir  print the bin directory only (no build)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
module="$here/helm"
version="$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" {print $3; exit} $1 == "helm.sh/helm/v3" {print $2; exit}' "$module/go.mod")"
[ -n "$version" ] || { echo "build-helm: no helm.sh/helm/v3 version in $module/go.mod" >&2; exit 1; }
cache="${VQ_CACHE:-$HOME/.cache/votequorum-operator}/helm/${version#v}"
bin="$cache/bin"

if [ "${1:-}" = "--print-dir" ]; then
    echo "$bin"
    exit 0
fi

log() { printf '%s build-helm: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

if [ -x "$bin/helm" ] && [ -f "$cache/VERSION" ]; then
    log "helm $version is cached in $bin"
    exit 0
fi

command -v go >/dev/null || { echo "build-helm: Go is needed to build helm (PATH=$PATH)" >&2; exit 1; }
start=$(date +%s)
mkdir -p "$bin"
tmp="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# `helm version` reports this version, and `helm lint` checks API deprecations against the
# Kubernetes version of the client-go helm is built with, as helm's own release build does.
client_go="$(awk '$1 == "k8s.io/client-go" {print $2; exit}' "$module/go.mod")"
k8s_minor="${client_go#v0.}"; k8s_minor="${k8s_minor%%.*}"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version"
ldflags="$ldflags -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
if [ -n "$k8s_minor" ]; then
    for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
        ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
    done
fi

cd "$module"
export GOFLAGS="-mod=mod" CGO_ENABLED=0
log "downloading modules for helm $version (first run only)"
go mod download
log "building helm (helm.sh/helm/v3/cmd/helm); this takes a few minutes on a small machine"
go build -trimpath -ldflags "$ldflags" -o "$tmp/helm" helm.sh/helm/v3/cmd/helm
mv "$tmp/helm" "$bin/"
echo "$version" > "$cache/VERSION"
"$bin/helm" version --short
log "done in $(( $(date +%s) - start )) s: $bin"
