#!/usr/bin/env bash
# Build the images the roles' tests pull, and push them to the local registry:
#   labforge/jupyter-test:1 and :2  a docker-stacks-contract Jupyter image in two tags (upgrades)
#   labforge/hello:1                a tiny image that prints a known line
#   labforge/jupyterhub:5.5.4       the lab's hub image, from images/jupyterhub
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

# wheels REQUIREMENTS NAME [SDIST...]: download the wheels once per requirements file. The
# SDISTs (pinned requirements that PyPI has only as source) are built into wheels first.
wheels() {
  local requirements=$1 name=$2 dir="$RIG_STATE/wheels-$2" stamp
  shift 2
  stamp=$( { cat "$requirements"; echo "$@"; } | sha256sum | cut -c1-12)
  if [ ! -f "$dir/.$stamp" ]; then
    log "downloading wheels for the $name image"
    rm -rf "$dir" && mkdir -p "$dir"
    [ $# -eq 0 ] || quietly python3 -m pip wheel -q --no-deps -w "$dir" "$@"
    python3 -m pip download -q -d "$dir" --find-links "$dir" --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 --platform any -r "$requirements" >"$dir.log" 2>&1 \
      || { grep -v '^WARNING: Location' "$dir.log" >&2; die "wheel download for $name failed"; }
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
  cp -a "$(wheels "$CONTEXT/requirements.txt" jupyter)" "$build/wheels"
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

# The hub image is built from the project's own recipe, as an operator would build it.
hub_image() {
  local context="$PROJECT_DIR/images/jupyterhub" base recipe build tag
  tag=$(sed -n 's/^jupyterhub==//p' "$context/requirements.txt")
  base=$(bash "$RIG_DIR/base-images.sh" runtime)
  recipe=$( { echo "$base"; cat "$context/Dockerfile" "$context/requirements.txt"; } | sha256sum | cut -c1-12)
  if in_registry labforge/jupyterhub "$tag" "$recipe"; then
    log "jupyterhub:$tag is in the registry"
    return 0
  fi
  build=$(mktemp -d "$RIG_STATE/hub-build.XXXX")
  cp "$context/Dockerfile" "$context/requirements.txt" "$build"/
  # NativeAuthenticator's onetimepass is on PyPI as source only.
  cp -a "$(wheels "$context/requirements.txt" hub onetimepass==1.0.1)" "$build/wheels"
  log "building labforge/jupyterhub:$tag"
  quietly docker build --build-arg BASE_IMAGE="$base" --label org.labforge.recipe="$recipe" \
    -t "$REGISTRY/labforge/jupyterhub:$tag" "$build"
  quietly docker push "$REGISTRY/labforge/jupyterhub:$tag"
  rm -rf "$build"
}

hello_image
jupyter_images
hub_image
