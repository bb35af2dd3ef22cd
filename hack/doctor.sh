#!/usr/bin/env bash
# What `make test` and `make demo` need on this machine, and how each missing piece is got.
#
#   hack/doctor.sh            list everything: present, or missing and how to get it
#   hack/doctor.sh --install  install the missing Debian packages (as root), then fail, saying what
#                             to do, if anything the commands cannot get by themselves is missing
#
# make test and make demo run --install first, and build the Kubernetes binaries, helm and the image
# once (cached); they cannot install Java, Maven or Go, nor run without root.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export PATH="$PATH:/usr/local/go/bin"
require=0
packages=(corosync libvotequorum-dev libcmap-dev libcorosync-common-dev pacemaker pacemaker-cli-utils nftables iproute2 util-linux gcc make curl
    perl mmdebstrap umoci skopeo runc containerd containernetworking-plugins busybox-static)

if [ "${1:-}" = "--install" ]; then
    require=1
    missing=()
    for pkg in "${packages[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
        echo "doctor: installing ${missing[*]} from Debian"
        # The packages must not start a corosync or containerd of their own on the host.
        policy=/usr/sbin/policy-rc.d created=0
        if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        rc=$?
        [ "$created" = 1 ] && rm -f "$policy"
        [ "$rc" = 0 ] || { echo "doctor: apt-get could not install ${missing[*]}" >&2; exit 1; }
    fi
fi

fatal=0
row() { # state, what, how
    [ "$require" = 1 ] && [ "$1" != "NEEDED" ] && return
    printf '  %-8s %-44s %s\n' "$1" "$2" "$3"
}
need() { # what, test command, how to get it
    if eval "$2" >/dev/null 2>&1; then row ok "$1" ""; else row NEEDED "$1" "$3"; fatal=1; fi
}
auto() { # what, test command, what gets it
    if eval "$2" >/dev/null 2>&1; then row ok "$1" ""; else row missing "$1" "$3"; fi
}

[ "$require" = 1 ] || echo "votequorum-operator: what make test and make demo need"
need "root" '[ "$(id -u)" = 0 ]' "network namespaces, bridges, corosync, containerd and kubelets need root: run as root"
need "Java 17 (java)" 'java -version 2>&1 | grep -q "version \"17"' "apt-get install openjdk-17-jdk-headless"
need "Maven (mvn)" 'command -v mvn' "apt-get install maven"
need "Go (go, or /usr/local/go/bin)" 'command -v go' "builds the Kubernetes binaries and helm: install Go 1.26 into /usr/local/go"
need "git" 'command -v git' "apt-get install git"
for pkg in "${packages[@]}"; do
    auto "Debian package $pkg" "dpkg -s $pkg" "make test and make demo install it as root (apt-get install $pkg)"
done
bin="$("$here/build-k8s.sh" --print-dir)"
for b in kube-apiserver etcd kubectl; do
    auto "$b (cached)" "[ -x '$bin/$b' ]" "make k8s builds it once (about 7 minutes the first time)"
done
for b in kube-controller-manager kube-scheduler kubelet; do
    auto "$b (cached)" "[ -x '$bin/$b' ]" "make k8s-nodes builds it once (about 6 minutes the first time)"
done
auto "helm (cached)" "[ -x '$("$here/build-helm.sh" --print-dir)/helm' ]" "make helm builds it once (about 3 minutes the first time)"
auto "the image (target/image)" "[ -f '$here/../target/image/votequorum-operator.tar' ]" "make image (about 1 minute the first time)"

if [ "$fatal" = 1 ]; then
    echo "doctor: the above cannot be installed by make test or make demo; provide it and run again" >&2
    exit 1
fi
[ "$require" = 1 ] || echo "Everything marked missing is installed or built by make test and make demo on their own."
exit 0
