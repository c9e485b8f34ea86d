#!/usr/bin/env bash
# Run a local registry (Debian's docker-registry) on port 5000, reachable from this host at
# 127.0.0.1:5000 and from containers at the docker0 gateway address.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=5000
if curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1; then
  log "registry already answers on 127.0.0.1:$PORT"
  exit 0
fi
apt_install docker-registry curl
mkdir -p "$RIG_STATE/registry"
cat >"$RIG_STATE/registry.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RIG_STATE/registry
  delete:
    enabled: true
http:
  addr: 0.0.0.0:$PORT
CONFIG
log "starting docker-registry in the background (log: $RIG_STATE/registry.log)"
nohup docker-registry serve "$RIG_STATE/registry.yml" >"$RIG_STATE/registry.log" 2>&1 &
for _ in $(seq 1 30); do
  curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && { log "registry is up"; exit 0; }
  sleep 1
done
tail -n 20 "$RIG_STATE/registry.log" >&2 || true
die "registry did not answer on 127.0.0.1:$PORT within 30 s"
