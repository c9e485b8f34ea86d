#!/usr/bin/env bash
# The main job on a disposable lab host: `demo.sh up` starts a systemd container as the lab
# host, makes the demo user's account there, runs site.yml against it (a one-node swarm, the
# lab's JupyterHub behind HTTPS with a lab CA) and prints the URL, the CA file to trust and
# how to log in; `demo.sh down` removes it. The images come from the rig's registry;
# LABFORGE_DEMO_IMAGE=quay.io/jupyter/... gives students' servers that image instead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$PROJECT_DIR"

HOST=labforge-demo
PORT=8443      # HTTPS, as in inventories/demo/group_vars/all.yml
HTTP_PORT=8080 # redirects to HTTPS
STATE="$RIG_STATE/demo"
USER_NAME=demo
PASSWORD_FILE="$STATE/$USER_NAME.password"
CA_FILE="$STATE/$HOST-lab-ca.pem"

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
  local image registry
  image=$(bash tests/rig/base-images.sh host bookworm)
  bash tests/rig/registry.sh
  bash tests/rig/test-images.sh
  registry="$(docker_gateway):5000"
  mkdir -p "$STATE"
  if ! docker inspect "$HOST" >/dev/null 2>&1; then
    log "starting the lab host $HOST"
    mapfile -t flags < <(host_flags)
    docker run -d --name "$HOST" --hostname "$HOST" "${flags[@]}" \
      --volume labforge-demo-docker:/var/lib/docker \
      --publish "127.0.0.1:$PORT:$PORT" --publish "127.0.0.1:$HTTP_PORT:$HTTP_PORT" \
      "$image" /lib/systemd/systemd >/dev/null
  fi
  docker start "$HOST" >/dev/null
  for _ in $(seq 1 30); do
    state=$(docker exec "$HOST" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
  done
  # The demo user is an account of the lab host, made before the hub starts (the hub reads
  # the host's passwd and shadow files). Its password is generated once, kept here.
  if ! docker exec "$HOST" id "$USER_NAME" >/dev/null 2>&1; then
    log "making the demo user $USER_NAME"
    (umask 077 && python3 -c 'import secrets, sys; sys.stdout.write(secrets.token_urlsafe(12))' > "$PASSWORD_FILE")
    docker exec "$HOST" sh -c "getent group labforge-demo >/dev/null || groupadd labforge-demo; \
      useradd --create-home --groups labforge-demo $USER_NAME"
    printf '%s:%s\n' "$USER_NAME" "$(cat "$PASSWORD_FILE")" | docker exec -i "$HOST" chpasswd
  fi
  log "running site.yml against $HOST"
  ansible-playbook -i inventories/demo site.yml \
    -e "labforge_demo_registry=$registry" -e "labforge_demo_dir=$STATE"
  # The lab answers over HTTPS with a certificate that verifies against the lab CA, and the
  # demo user's login is accepted (a redirect away from the login page).
  local url="https://localhost:$PORT" jar="$STATE/cookies" status
  status=$(curl -s --cacert "$CA_FILE" -o /dev/null -w '%{http_code}' "$url/hub/health" || true)
  [ "$status" = 200 ] || die "the lab did not answer at $url with its lab CA certificate (HTTP $status)"
  rm -f "$jar"
  curl -s --cacert "$CA_FILE" -c "$jar" -o /dev/null "$url/hub/login"
  status=$(curl -s --cacert "$CA_FILE" -b "$jar" -c "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
    --data-urlencode "username=$USER_NAME" --data-urlencode "password@$PASSWORD_FILE" \
    --data-urlencode "_xsrf=$(awk '$6 == "_xsrf" {print $7}' "$jar" | tail -1)" "$url/hub/login" || true)
  rm -f "$jar"
  case "$status" in 302*) ;; *) die "the demo user's login was refused at $url/hub/login ($status)" ;; esac
  cat <<DONE

The lab is ready:    $url/
Trust its lab CA:    $CA_FILE
                     (import it into your browser's certificate authorities; curl --cacert FILE)
Log in as:           $USER_NAME, with the password in $PASSWORD_FILE
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
