# Shared helpers for the test rig scripts (sourced, not run).
RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_DIR=$(cd "$RIG_DIR/../.." && pwd)
RIG_STATE=${RIG_STATE:-$PROJECT_DIR/.rig}
mkdir -p "$RIG_STATE"

log() { printf '[rig] %s\n' "$*" >&2; }
die() { printf '[rig] ERROR: %s\n' "$*" >&2; exit 1; }

# Install Debian packages that are missing; refresh the package lists only when needed.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "need ${missing[*]} but apt-get is not available"
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Succeeds, and prints DIR, when DIR holds the build of this recipe (its first line) with each
# of the files named: `built_from_recipe DIR RECIPE WHAT FILE... && exit 0` skips a rebuild.
built_from_recipe() {
  local dir=$1 recipe=$2 what=$3 file
  shift 3
  [ -f "$dir/recipe" ] && [ "$(head -n 1 "$dir/recipe")" = "$recipe" ] || return 1
  for file in "$@"; do [ -s "$dir/$file" ] || return 1; done
  log "$what $recipe is cached in $dir"
  echo "$dir"
}

# The Debian mirror this machine is configured with (never hard-coded in the project).
debian_mirror() {
  local uri
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v -- '-security' | head -n 1)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^\s*deb\s' /etc/apt/sources.list 2>/dev/null \
          | awk '{print $2}' | grep -v -- '-security' | head -n 1)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt sources"
  printf '%s\n' "${uri%/}"
}

# Address of the docker0 bridge: how containers reach services on this host.
docker_gateway() {
  local gateway
  gateway=$(docker network inspect bridge -f '{{ range .IPAM.Config }}{{ .Gateway }}{{ end }}')
  if [ -z "$gateway" ]; then  # the default bridge does not always report it; docker0 has it
    gateway=$(ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1 | head -n 1)
  fi
  [ -n "$gateway" ] || die "cannot find the docker0 gateway address"
  printf '%s\n' "$gateway"
}

# Run a noisy command; show its output only when it fails.
quietly() {
  local out
  out=$(mktemp "$RIG_STATE/out.XXXX")
  if ! "$@" >"$out" 2>&1; then
    tail -n 40 "$out" >&2
    rm -f "$out"
    die "failed: $*"
  fi
  rm -f "$out"
}
