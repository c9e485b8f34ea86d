#!/usr/bin/env bash
# Build base images offline with debootstrap + docker import. Each is tagged with a hash of
# its recipe, so it is rebuilt only when the recipe changes.
#   base-images.sh host SUITE...   Molecule hosts: Debian with systemd (labforge/molecule-debian)
#   base-images.sh runtime         a slim Python runtime for the Jupyter test image
# Prints the image name of each, one a line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

HOST_PACKAGES=python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,sudo,ca-certificates,procps,gnupg
RUNTIME_PACKAGES=python3,python3-venv,tini,ca-certificates
# Bump when build_image changes what ends up in an image.
RECIPE_VERSION=2

# The recipe: what goes into the rootfs and how it is prepared, nothing else of this file.
recipe_hash() {
  local prepare=$1
  shift
  { printf '%s\n' "$RECIPE_VERSION" "$@"; declare -f "$prepare"; } | sha256sum | cut -c1-12
}

# build_image REPOSITORY SUITE PACKAGES PREPARE_FUNCTION
build_image() {
  local repo=$1 suite=$2 packages=$3 prepare=$4 image rootfs mirror
  image="$repo:${suite}-$(recipe_hash "$prepare" "$repo" "$suite" "$packages")"
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "$image is cached"
    echo "$image"
    return 0
  fi
  apt_install debootstrap
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d "$RIG_STATE/rootfs-${suite}.XXXX")
  log "debootstrap $suite for $repo (about a minute)"
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
        >"$RIG_STATE/debootstrap-${repo##*/}-$suite.log" 2>&1; then
    tail -n 20 "$RIG_STATE/debootstrap-${repo##*/}-$suite.log" >&2
    rm -rf "$rootfs"
    die "debootstrap $suite failed"
  fi
  "$prepare" "$rootfs" "$suite" "$mirror"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV container=docker' \
    --change 'CMD ["/lib/systemd/systemd"]' \
    - "$image" >/dev/null
  rm -rf "$rootfs"
  docker tag "$image" "$repo:$suite"
  log "built $image"
  echo "$image"
}

# A Molecule host: boots systemd as a container, no machine id baked in, no units that
# need real hardware, apt pointed at the host's mirror.
prepare_host() {
  local root=$1 suite=$2 mirror=$3
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  for unit in getty.target systemd-udevd.service systemd-udev-trigger.service \
              systemd-modules-load.service systemd-remount-fs.service \
              sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  printf 'deb %s %s main\ndeb %s %s-updates main\n' "$mirror" "$suite" "$mirror" "$suite" \
    >"$root/etc/apt/sources.list"
  printf 'APT::Install-Recommends "false";\n' >"$root/etc/apt/apt.conf.d/90norecommends"
  # Docker mounts /proc/sys read-only in an unprivileged container; a real host's is
  # writable, and dockerd writes to it (route_localnet with userland-proxy off).
  cat >"$root/etc/systemd/system/rig-writable-proc-sys.service" <<'UNIT'
[Unit]
Description=Test rig: make /proc/sys writable as on a real host
DefaultDependencies=no
Before=sysinit.target

[Service]
Type=oneshot
ExecStart=/bin/mount -o remount,bind,rw /proc/sys

[Install]
WantedBy=sysinit.target
UNIT
  ln -sf ../rig-writable-proc-sys.service "$root/etc/systemd/system/sysinit.target.wants/rig-writable-proc-sys.service"
  # Package lists as a real host has them, so a role's --check run can resolve packages.
  chroot "$root" apt-get update -qq
}

prepare_runtime() {
  local root=$1
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/lib/apt/lists/*
}

kind=${1:-host}
shift || true
case "$kind" in
  host)
    suites=("$@")
    [ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie)
    for suite in "${suites[@]}"; do
      build_image labforge/molecule-debian "$suite" "$HOST_PACKAGES" prepare_host
    done
    ;;
  runtime)
    build_image labforge/python-runtime bookworm "$RUNTIME_PACKAGES" prepare_runtime
    ;;
  *) die "usage: base-images.sh host [SUITE...] | runtime" ;;
esac
