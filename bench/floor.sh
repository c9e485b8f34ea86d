#!/usr/bin/env bash
# The floor for measure 1: only the essential work of one Jupyter lab host, as a plain script
# a person would write: let docker pull from the lab's registry, install docker.io, pull the
# image, run it, wait until it answers. Run on the host: REGISTRY=... IMAGE=... TOKEN=... bash -s
# Prints "phase NAME SECONDS" for each step, so the bench can show where the time goes.
set -euo pipefail
: "${REGISTRY:?}" "${IMAGE:?}" "${TOKEN:?}"
mark=$EPOCHREALTIME
phase() {
  awk -v name="$1" -v begin="$mark" -v end="$EPOCHREALTIME" 'BEGIN { printf "phase %s %.2f\n", name, end - begin }'
  mark=$EPOCHREALTIME
}
mkdir -p /etc/docker
printf '{"insecure-registries": ["%s"]}\n' "$REGISTRY" >/etc/docker/daemon.json
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
phase install
docker pull -q "$IMAGE" >/dev/null
phase pull
docker run -d --name lab --restart unless-stopped -p 127.0.0.1:8888:8888 -e JUPYTER_TOKEN="$TOKEN" "$IMAGE" >/dev/null
until python3 -c 'import sys, urllib.request as u
u.urlopen(u.Request("http://127.0.0.1:8888/api/status", headers={"Authorization": "token " + sys.argv[1]}), timeout=2)' \
      "$TOKEN" 2>/dev/null; do
  sleep 0.2
done
phase run_until_ready
