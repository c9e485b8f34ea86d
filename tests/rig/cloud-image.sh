#!/usr/bin/env bash
# Build a bootable Debian bookworm cloud image for VM tests offline, from Debian's packages
# alone (mmdebstrap from the machine's own mirror), into .rig/cloud/:
#   base.qcow2   an ext4 file system on the whole disk (no partition table), 4 GiB virtual;
#                each guest gets a qcow2 overlay of any size and cloud-init's resize_rootfs
#                grows the file system to it (growpart is off: there is no partition)
#   vmlinuz      the tree's linux-image-cloud-amd64 kernel and its initramfs (MODULES=most:
#   initrd.img   virtio_blk and ext4 for the root file system)
#   recipe       the hash of this script and cloud/, and the kernel version
# Guests boot the kernel directly (-kernel/-initrd, 'root=/dev/vda console=ttyS0'): no
# boot loader, no partition table, no EFI firmware, so the image stays one plain file
# system that mkfs.ext4 -d writes without loop devices or root-only mounts.
# Inside: systemd, cloud-init (NoCloud seed, cloud/99_labforge.cfg), ifupdown with
# isc-dhcp-client, openssh-server (no host keys: cloud-init writes them), python3, sudo,
# qemu-guest-agent; apt points at the machine's mirror. 50 to 70 s to build, about 485 MB;
# under TCG (2 vCPUs) a guest answers SSH 30 to 45 s after qemu starts and cloud-init is
# done 40 to 60 s after. Rebuilt only when this script or cloud/ changes. Prints the
# directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT="$RIG_STATE/cloud"
CLOUD_SRC="$RIG_DIR/cloud"
SUITE=bookworm
SIZE=4G
PACKAGES=linux-image-cloud-amd64,initramfs-tools,systemd-sysv,udev,dbus,cloud-init,openssh-server,python3,sudo,ifupdown,isc-dhcp-client,netbase,iproute2,ca-certificates,qemu-guest-agent

recipe=$( { cat "$0"; find "$CLOUD_SRC" -type f | sort | xargs cat; } | sha256sum | cut -c1-12)
built_from_recipe "$OUT" "$recipe" "cloud image" vmlinuz initrd.img base.qcow2 && exit 0

[ "$(id -u)" -eq 0 ] || die "building the cloud image needs root (mmdebstrap, chroot)"
apt_install mmdebstrap e2fsprogs qemu-utils
mirror=$(debian_mirror)
security=$(grep -hE '^\s*(URIs:|deb\s)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
           | awk '{print $2}' | grep -- '-security' | head -n 1 || true)

work=$(mktemp -d "$RIG_STATE/cloud-build.XXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
log "mmdebstrap $SUITE with cloud-init and linux-image-cloud-amd64 (about a minute)"
# The initramfs learns the root's type before the kernel's install builds it (there is no
# /dev/vda to probe in the tree), so that it checks the root with e2fsck before mounting it.
# shellcheck disable=SC2016 # mmdebstrap expands $1 (the tree) in the hook
quietly mmdebstrap --variant=minbase --include="$PACKAGES" \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" && echo FSTYPE=ext4 >"$1/etc/initramfs-tools/conf.d/root-fstype"' \
  "$SUITE" "$root" "$mirror"

kernels=("$root"/boot/vmlinuz-*)
[ ${#kernels[@]} -eq 1 ] || die "expected one kernel in the tree's /boot: ${kernels[*]}"
kver=${kernels[0]##*/vmlinuz-}
[ -s "$root/boot/initrd.img-$kver" ] || die "no initramfs for $kver in the tree"
initramfs=$(chroot "$root" lsinitramfs "/boot/initrd.img-$kver")
for file in virtio_pci.ko virtio_blk.ko e2fsck; do
  grep -q "/$file\$" <<<"$initramfs" || die "the initramfs of $kver lacks $file"
done

# Each guest gets its own identity on first boot: machine id, host keys (cloud-init's ssh
# module, or the keys the seed passes), hostname (the seed's local-hostname).
: >"$root/etc/machine-id"
rm -f "$root"/etc/ssh/ssh_host_* "$root/var/lib/dbus/machine-id" "$root/etc/resolv.conf"
echo debian >"$root/etc/hostname"
chroot "$root" passwd -q -l root
echo '/dev/vda / ext4 defaults,discard 0 1' >"$root/etc/fstab"
echo 'LANG=C.UTF-8' >"$root/etc/default/locale"
install -m 0644 "$CLOUD_SRC/99_labforge.cfg" "$root/etc/cloud/cloud.cfg.d/99_labforge.cfg"
# cloud-init's eni renderer writes /etc/network/interfaces.d/50-cloud-init.
grep -q '^source /etc/network/interfaces.d/\*' "$root/etc/network/interfaces" \
  || echo 'source /etc/network/interfaces.d/*' >>"$root/etc/network/interfaces"
# No daily apt run racing a test for the dpkg lock.
rm -f "$root"/etc/systemd/system/timers.target.wants/apt-daily*.timer
{
  printf 'deb %s %s main\n' "$mirror" "$SUITE"
  printf 'deb %s %s-updates main\n' "$mirror" "$SUITE"
  [ -z "$security" ] || printf 'deb %s %s-security main\n' "${security%/}" "$SUITE"
} >"$root/etc/apt/sources.list"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
       "$root"/var/log/*.log "$root"/var/log/apt/*
chmod 0755 "$root"

log "writing the file system and base.qcow2"
quietly mkfs.ext4 -q -L labforge-root -d "$root" "$work/base.raw" "$SIZE"
quietly qemu-img convert -f raw -O qcow2 "$work/base.raw" "$work/base.qcow2"

mkdir -p "$OUT"
install -m 0644 "$root/boot/vmlinuz-$kver" "$OUT/vmlinuz"
install -m 0644 "$root/boot/initrd.img-$kver" "$OUT/initrd.img"
install -m 0644 "$work/base.qcow2" "$OUT/base.qcow2"
printf '%s\n%s\n' "$recipe" "$kver" >"$OUT/recipe"
log "built the cloud image $recipe ($kver, $(du -h "$OUT/base.qcow2" | cut -f1)) in $OUT"
echo "$OUT"
