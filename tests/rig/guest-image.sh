#!/usr/bin/env bash
# Build the hypervisor scenario's test guest offline, from Debian packages, into .rig/guest/:
#   vmlinuz      Debian's stock amd64 kernel (apt-get download, no install)
#   initrd.img   a busybox initramfs whose init is guest/init: virtio modules, NoCloud seed,
#                DHCP, httpd on :80, and LABFORGE-GUEST-READY on the serial console
#   base.qcow2   a small qcow2 disk image (an ISO 9660 file system holding label.txt) that
#                the scenario uses as the backing file of a guest's disk
#   recipe       the hash of this script and guest/, and the kernel package used
# Rebuilt only when this script or guest/ changes. Prints the directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT="$RIG_STATE/guest"
GUEST_SRC="$RIG_DIR/guest"
# The kernel modules the guest loads, in dependency order (Debian builds virtio, virtio_net,
# virtio_blk and isofs as modules and ships no modules.dep; the build checks the order
# against each module's own depends= field).
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net virtio_blk cdrom isofs"

recipe=$( { cat "$0"; find "$GUEST_SRC" -type f | sort | xargs cat; } | sha256sum | cut -c1-12)
built_from_recipe "$OUT" "$recipe" "test guest" vmlinuz initrd.img base.qcow2 && exit 0

apt_install busybox-static genisoimage qemu-utils
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
if [ -z "$kernel_pkg" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  kernel_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
fi
[ -n "$kernel_pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package"

work=$(mktemp -d "$RIG_STATE/guest-build.XXXX")
trap 'rm -rf "$work"' EXIT
log "downloading $kernel_pkg"
(cd "$work" && quietly apt-get download "$kernel_pkg")
dpkg-deb -x "$work"/"$kernel_pkg"_*.deb "$work/pkg"

root="$work/initramfs"
mkdir -p "$root/bin" "$root/lib/modules" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$GUEST_SRC/init" "$root/init"
loaded=" "
for m in $MODULES; do
  ko=$(find "$work/pkg/lib/modules" -name "$m.ko" | head -n 1)
  [ -n "$ko" ] || die "module $m.ko not found in $kernel_pkg"
  for dep in $(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
    [[ "$loaded" == *" $dep "* ]] || die "module $m needs $dep first; fix MODULES in $0"
  done
  loaded+="$m "
  cp "$ko" "$root/lib/modules/"
done
printf '%s\n' $MODULES >"$root/lib/modules/order"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -9) >"$work/initrd.img"

mkdir -p "$work/base"
echo "labforge-base" >"$work/base/label.txt"
quietly genisoimage -quiet -o "$work/base.iso" -V LABFORGE_BASE -r "$work/base"
quietly qemu-img convert -f raw -O qcow2 "$work/base.iso" "$work/base.qcow2"

mkdir -p "$OUT"
install -m 0644 "$work"/pkg/boot/vmlinuz-* "$OUT/vmlinuz"
install -m 0644 "$work/initrd.img" "$OUT/initrd.img"
install -m 0644 "$work/base.qcow2" "$OUT/base.qcow2"
printf '%s\n%s\n' "$recipe" "$kernel_pkg" >"$OUT/recipe"
log "built the test guest $recipe ($kernel_pkg) in $OUT"
echo "$OUT"
