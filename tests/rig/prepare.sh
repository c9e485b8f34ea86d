#!/usr/bin/env bash
# Everything the Molecule scenarios need on this machine, idempotent and cached:
# a Docker engine, the local registry, the host images and the test images.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
bash "$here/engine.sh"
bash "$here/registry.sh"
# The three debootstraps and the cloud image's mmdebstrap are mostly waiting on the network:
# run them side by side (their packages first, so that no two scripts run apt at once).
apt_install debootstrap mmdebstrap e2fsprogs qemu-utils
pids=()
for recipe in "host bookworm" "host trixie" "runtime"; do
  # shellcheck disable=SC2086 # the recipe is two words on purpose
  bash "$here/base-images.sh" $recipe >/dev/null &
  pids+=($!)
done
bash "$here/cloud-image.sh" >/dev/null &
pids+=($!)
for pid in "${pids[@]}"; do
  wait "$pid" || { echo "[rig] ERROR: building a base image or the cloud image failed" >&2; exit 1; }
done
bash "$here/test-images.sh"
bash "$here/browser.sh"
bash "$here/guest-image.sh" >/dev/null
