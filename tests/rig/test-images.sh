#!/usr/bin/env bash
# Build the images the roles' tests pull, and push them to the local registry:
#   labforge/jupyter-test:1 and :2  a docker-stacks-contract Jupyter image in two tags (upgrades)
#   labforge/hello:1                a tiny image that prints a known line
# Each build is skipped when an image of the same recipe is already in the registry.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

REGISTRY=127.0.0.1:5000
CONTEXT="$RIG_DIR/jupyter-image"

in_registry() {  # in_registry REPO TAG LABEL_VALUE
  local digest
  digest=$(docker image inspect -f '{{ index .Config.Labels "org.labforge.recipe" }}' "$REGISTRY/$1:$2" 2>/dev/null || true)
  [ "$digest" = "$3" ] && curl -fsS -o /dev/null \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$1/manifests/$2"
}

wheels() {
  local dir="$RIG_STATE/wheels" stamp
  stamp=$(sha256sum "$CONTEXT/requirements.txt" | cut -c1-12)
  if [ ! -f "$dir/.$stamp" ]; then
    log "downloading wheels for the Jupyter image"
    rm -rf "$dir" && mkdir -p "$dir"
    python3 -m pip download -q -d "$dir" --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 --platform any -r "$CONTEXT/requirements.txt" 2>&1 \
      | grep -v '^WARNING: Location' >&2 || true
    ls "$dir"/jupyterlab-*.whl >/dev/null 2>&1 || die "wheel download failed"
    touch "$dir/.$stamp"
  fi
  echo "$dir"
}

jupyter_images() {
  local base recipe build version
  base=$(bash "$RIG_DIR/base-images.sh" runtime)
  recipe=$( { echo "$base"; cat "$CONTEXT"/*; } | sha256sum | cut -c1-12)
  if in_registry labforge/jupyter-test 1 "$recipe" && in_registry labforge/jupyter-test 2 "$recipe"; then
    log "jupyter-test:1 and :2 are in the registry"
    return 0
  fi
  build=$(mktemp -d "$RIG_STATE/jupyter-build.XXXX")
  cp -a "$CONTEXT"/. "$build"/
  cp -a "$(wheels)" "$build/wheels"
  for version in 1 2; do
    log "building labforge/jupyter-test:$version"
    quietly docker build --build-arg BASE_IMAGE="$base" --build-arg IMAGE_VERSION="$version" \
      --label org.labforge.recipe="$recipe" -t "$REGISTRY/labforge/jupyter-test:$version" "$build"
    quietly docker push "$REGISTRY/labforge/jupyter-test:$version"
  done
  rm -rf "$build"
}

hello_image() {
  local recipe build
  apt_install busybox-static
  recipe=$(sha256sum /bin/busybox "$0" | sha256sum | cut -c1-12)
  if in_registry labforge/hello 1 "$recipe"; then
    log "hello:1 is in the registry"
    return 0
  fi
  build=$(mktemp -d "$RIG_STATE/hello-build.XXXX")
  cp /bin/busybox "$build/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "echo", "hello from the labforge rig"]\n' \
    >"$build/Dockerfile"
  quietly docker build --label org.labforge.recipe="$recipe" -t "$REGISTRY/labforge/hello:1" "$build"
  quietly docker push "$REGISTRY/labforge/hello:1"
  rm -rf "$build"
  log "pushed labforge/hello:1"
}

hello_image
jupyter_images
