#!/usr/bin/env bash
# Everything the Molecule scenarios need on this machine, idempotent and cached:
# a Docker engine, the local registry, the host images and the test images.
set -euo pipefail
here=$(dirname "$0")
bash "$here/engine.sh"
bash "$here/registry.sh"
bash "$here/base-images.sh" host bookworm trixie >/dev/null
bash "$here/test-images.sh"
