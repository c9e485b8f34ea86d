#!/usr/bin/env bash
# Make sure a Docker engine answers. Use the running one if there is one; otherwise install
# Debian's docker.io and start dockerd in the background (the host has no systemd as PID 1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if docker info >/dev/null 2>&1; then
  log "docker engine already answers"
  exit 0
fi

apt_install docker.io iptables
if ! pgrep -x dockerd >/dev/null; then
  log "starting dockerd in the background (log: $RIG_STATE/dockerd.log)"
  nohup dockerd >"$RIG_STATE/dockerd.log" 2>&1 &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { log "docker engine is up"; exit 0; }
  sleep 1
done
tail -n 30 "$RIG_STATE/dockerd.log" >&2 || true
die "dockerd did not answer within 60 s"
