#!/usr/bin/env bash
# Builds the votequorum-operator container image (one image, all three roles) without a registry:
# a Debian root file system from mmdebstrap, the jar from target/quarkus-app, packed by umoci and
# written by skopeo. The base root file system is cached under ~/.cache/votequorum-operator/image,
# keyed by the base section of this script and the APT sources, so a rerun takes seconds.
#
#   hack/build-image.sh                build target/image/ from target/quarkus-app (run `make build` first)
#   hack/build-image.sh --rebuild-base ignore the cached base (for instance to take Debian security updates)
#
# Output in target/image/:
#   oci/                           the OCI image layout, tag <version>
#   votequorum-operator-oci.tar    the same as an OCI archive
#   votequorum-operator.tar        a docker-archive named votequorum-operator:<version> (ctr images import)
#   digest                         the OCI manifest digest
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
name=votequorum-operator
app_dir="$repo/target/quarkus-app"
out="$repo/target/image"
entry="$repo/src/main/docker/votequorum-operator"
cache="${VQ_CACHE:-$HOME/.cache/votequorum-operator}/image"
sources="${VQ_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"

log() { printf '%s build-image: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { echo "build-image: $*" >&2; exit 1; }

rebuild_base=0
case "${1:-}" in
    "") ;;
    --rebuild-base) rebuild_base=1 ;;
    *) sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

start=$(date +%s)

# The tools are Debian's; root installs what is missing, anyone else is told what to install.
missing=()
for tool in mmdebstrap:mmdebstrap umoci:umoci skopeo:skopeo; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "needs ${missing[*]}: run 'sudo apt-get install --no-install-recommends ${missing[*]}'"
    log "installing ${missing[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }
fi
[ "$(id -u)" = 0 ] || die "mmdebstrap and umoci need root here (file ownership in the image); run as root"

[ -f "$app_dir/quarkus-run.jar" ] || die "$app_dir/quarkus-run.jar is missing: run 'make build' (or 'make image', which builds it)"
[ -f "$entry" ] || die "$entry is missing"
[ -f "$sources" ] || die "no APT sources at $sources: set VQ_APT_SOURCES to a sources.list or deb822 file"
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$repo/pom.xml" | head -1)"
[ -n "$version" ] || die "no project version in $repo/pom.xml"

# base:begin (this section and the APT sources key the cached base root file system)
suite=bookworm
packages=(openjdk-17-jre-headless libvotequorum8 libcmap4 libqb100 libstonithd26 ca-certificates)
uid=65532
# Merged /usr set up as debootstrap does, with usr-is-merged: usrmerge would bring perl (about 50 MiB).
merged_usr=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
slim_options=(
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/lintian/*'
    --dpkgopt='path-exclude=/usr/share/bug/*'
)
# update-alternatives in the JRE's postinst links man pages and fails without this directory.
man_dir_hook='mkdir -p "$1/usr/share/man/man1"'
# The non-root user for roles that need no corosync IPC (the operator); root stays the default.
add_user_hook='
    echo "votequorum:x:'$uid':'$uid':votequorum-operator:/nonexistent:/usr/sbin/nologin" >> "$1/etc/passwd"
    echo "votequorum:x:'$uid':" >> "$1/etc/group"
    if [ -f "$1/etc/shadow" ]; then echo "votequorum:!:19000::::::" >> "$1/etc/shadow"; fi
    if [ -f "$1/etc/gshadow" ]; then echo "votequorum:!::" >> "$1/etc/gshadow"; fi
    # libstonithd refuses to connect unless it can look up Pacemaker'"'"'s daemon user and group by name
    # (to check who serves the IPC). The fencer it talks to runs as root, so these ids never matter.
    echo "hacluster:x:189:189:Pacemaker:/nonexistent:/usr/sbin/nologin" >> "$1/etc/passwd"
    echo "haclient:x:189:" >> "$1/etc/group"'
cleanup_hook='
    rm -rf "$1"/usr/share/man/* "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/cache/debconf/*-old \
        "$1"/var/cache/ldconfig/aux-cache "$1"/var/log/* "$1"/tmp/* "$1"/usr/share/doc-base
    for tool in gcc cc c++ make cpp ld as; do
        if [ -e "$1/usr/bin/$tool" ]; then echo "build tool /usr/bin/$tool is in the image: drop the package that brings it from packages= in hack/build-image.sh" >&2; exit 1; fi
    done'
# base:end

key="$( { sed -n '/^# base:begin/,/^# base:end/p' "$0"; cat "$sources"; } | sha256sum | cut -c1-16)"
base="$cache/base-$key.tar"
mkdir -p "$cache"
if [ "$rebuild_base" = 1 ] || [ ! -s "$base" ]; then
    log "building the Debian $suite base ($(IFS=,; echo "${packages[*]}")) with mmdebstrap; about a minute"
    mmdebstrap --quiet --mode=root --variant=essential --format=tar \
        --include="$(IFS=,; echo "${packages[*]}")" \
        "${merged_usr[@]}" "${slim_options[@]}" \
        --essential-hook="$man_dir_hook" \
        --customize-hook="$add_user_hook" \
        --customize-hook="$cleanup_hook" \
        "$suite" "$base.partial" "$sources"
    mv "$base.partial" "$base"
    # Older bases only take space.
    find "$cache" -maxdepth 1 -name 'base-*.tar' ! -name "base-$key.tar" -delete
    log "base root file system: $(du -m "$base" | cut -f1) MiB in $base"
else
    log "base root file system cached: $base ($(du -m "$base" | cut -f1) MiB)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/build-image.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# The base layer, packed once per base: gzip of a few hundred MiB is most of a cached build's time.
layout_cache="$cache/layout-$key"
if [ ! -f "$layout_cache/index.json" ] || [ "$layout_cache/index.json" -ot "$base" ]; then
    log "packing the base layer"
    rm -rf "$layout_cache" "$layout_cache.partial"
    umoci init --layout "$layout_cache.partial"
    umoci new --image "$layout_cache.partial:base"
    umoci raw add-layer --image "$layout_cache.partial:base" \
        --history.created_by "mmdebstrap --variant=essential $suite ${packages[*]}" "$base"
    mv "$layout_cache.partial" "$layout_cache"
    find "$cache" -maxdepth 1 -name 'layout-*' ! -name "layout-$key" -exec rm -rf {} +
fi

log "adding the application layer from $app_dir"
stage="$tmp/app"
mkdir -p "$stage/opt/$name/bin"
cp -a "$app_dir/." "$stage/opt/$name/"
install -m 0755 "$entry" "$stage/opt/$name/bin/$name"
tar --numeric-owner --owner=0 --group=0 --sort=name -C "$stage" -cf "$tmp/app.tar" opt

layout="$tmp/oci"
cp -a "$layout_cache" "$layout"
umoci raw add-layer --image "$layout:base" --tag "$version" \
    --history.created_by "COPY target/quarkus-app /opt/$name" "$tmp/app.tar"
revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
umoci config --image "$layout:$version" --architecture amd64 --os linux \
    --config.entrypoint "/opt/$name/bin/$name" \
    --config.workingdir "/opt/$name" \
    --config.user 0:0 \
    --config.env 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --config.env 'JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
    --config.env 'LANG=C.UTF-8' \
    --config.exposedports 8080/tcp \
    --config.stopsignal SIGTERM \
    --config.label "org.opencontainers.image.title=$name" \
    --config.label "org.opencontainers.image.description=Bridges corosync votequorum to Kubernetes: quorum status, fencing and vote policies (roles: agent, operator, status)" \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label "org.opencontainers.image.revision=$revision" \
    --config.label "org.opencontainers.image.base.name=debian:$suite" \
    --history.created_by "ENTRYPOINT /opt/$name/bin/$name"
umoci rm --image "$layout:base"
umoci gc --layout "$layout"

log "writing the archives"
rm -rf "$out"
mkdir -p "$out"
mv "$layout" "$out/oci"
skopeo --insecure-policy copy --quiet "oci:$out/oci:$version" "oci-archive:$out/$name-oci.tar:$name:$version"
skopeo --insecure-policy copy --quiet "oci:$out/oci:$version" "docker-archive:$out/$name.tar:$name:$version"
digest="$(skopeo inspect --format '{{.Digest}}' "oci:$out/oci:$version")"
echo "$digest" > "$out/digest"

log "image $name:$version ($(du -m "$out/$name.tar" | cut -f1) MiB uncompressed, $(du -m "$out/$name-oci.tar" | cut -f1) MiB compressed) in $(( $(date +%s) - start )) s"
log "  $out/oci ($name:$version), $out/$name-oci.tar, $out/$name.tar"
echo "$digest"
