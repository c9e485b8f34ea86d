#!/usr/bin/env bash
# The main job on a disposable lab host: `demo.sh up` starts a systemd container as the lab
# host, runs site.yml against it and prints the JupyterLab URL; `demo.sh down` removes it.
# Offline it uses the rig's registry; LABFORGE_DEMO_IMAGE=quay.io/jupyter/... uses that image.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$PROJECT_DIR"

HOST=labforge-demo
PORT=${LABFORGE_DEMO_PORT:-8888}
STATE="$RIG_STATE/demo"
TOKEN_FILE="$STATE/lab.token"

# The host container's flags, read from the Molecule base config so both stay the same.
host_flags() {
  python3 - "$PROJECT_DIR/.config/molecule/config.yml" <<'PY'
import sys, yaml
platform = yaml.safe_load(open(sys.argv[1]))["platforms"][0]
flags = ["--cgroupns=host"]
flags += [f"--cap-add={c}" for c in platform["capabilities"]]
flags += [f"--security-opt={o}" for o in platform["security_opts"]]
flags += [f"--tmpfs={t}" for t in platform["tmpfs"]]
flags += [f"--volume={v}" for v in platform["volumes"] if ":" in v]
print("\n".join(flags))
PY
}

up() {
  apt_install curl
  bash tests/rig/engine.sh
  local image registry=""
  image=$(bash tests/rig/base-images.sh host bookworm)
  if [ -z "${LABFORGE_DEMO_IMAGE:-}" ]; then
    bash tests/rig/registry.sh
    bash tests/rig/test-images.sh
    registry="$(docker_gateway):5000"
  fi
  mkdir -p "$STATE"
  if ! docker inspect "$HOST" >/dev/null 2>&1; then
    log "starting the lab host $HOST"
    mapfile -t flags < <(host_flags)
    docker run -d --name "$HOST" --hostname "$HOST" "${flags[@]}" \
      --volume labforge-demo-docker:/var/lib/docker \
      --publish "127.0.0.1:$PORT:8888" "$image" /lib/systemd/systemd >/dev/null
  fi
  docker start "$HOST" >/dev/null
  for _ in $(seq 1 30); do
    state=$(docker exec "$HOST" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
  done
  log "running site.yml against $HOST"
  ansible-playbook -i inventories/demo site.yml \
    -e "labforge_demo_registry=$registry" -e "labforge_demo_token_file=$TOKEN_FILE"
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $(cat "$TOKEN_FILE")" \
    "http://127.0.0.1:$PORT/api/status" || true)
  [ "$status" = 200 ] || die "JupyterLab did not answer on 127.0.0.1:$PORT (HTTP $status)"
  cat <<DONE

JupyterLab is ready: http://127.0.0.1:$PORT/lab
Its token:           cat $TOKEN_FILE
Or open directly:    http://127.0.0.1:$PORT/lab?token=\$(cat $TOKEN_FILE)
Remove the lab host: make demo-clean
DONE
}

down() {
  docker rm -f "$HOST" >/dev/null 2>&1 || true
  docker volume rm labforge-demo-docker >/dev/null 2>&1 || true
  rm -rf "$STATE"
  log "demo lab host removed"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) die "usage: demo.sh up|down" ;;
esac
