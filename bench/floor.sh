#!/usr/bin/env bash
# The floor for measure 1: only the essential work of one Jupyter lab host, as a plain script
# a person would write: let docker pull from the lab's registry, install docker.io, pull the
# image, run it, wait until it answers. Run on the host: REGISTRY=... IMAGE=... TOKEN=... bash -s
set -euo pipefail
: "${REGISTRY:?}" "${IMAGE:?}" "${TOKEN:?}"
mkdir -p /etc/docker
printf '{"insecure-registries": ["%s"]}\n' "$REGISTRY" >/etc/docker/daemon.json
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
docker pull -q "$IMAGE" >/dev/null
docker run -d --name lab --restart unless-stopped -p 127.0.0.1:8888:8888 -e JUPYTER_TOKEN="$TOKEN" "$IMAGE" >/dev/null
until python3 -c 'import sys, urllib.request as u
u.urlopen(u.Request("http://127.0.0.1:8888/api/status", headers={"Authorization": "token " + sys.argv[1]}), timeout=2)' \
      "$TOKEN" 2>/dev/null; do
  sleep 0.2
done
