#!/usr/bin/env bash
# Run Molecule scenarios on the local rig: `molecule.sh` runs all of them, `molecule.sh NAME`
# one. Each scenario runs on Debian bookworm; those listed in TRIXIE_TOO run on trixie too.
# Scenarios run side by side, LABFORGE_MOLECULE_JOBS at a time (2 by default, 1 for a single
# scenario), the longest first; the distributions of one scenario run one after the other.
# Each run's output is in .rig/logs/molecule-NAME-DISTRO.log.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
TRIXIE_TOO=" smoke docker_engine "
# Longest first, so that the side-by-side runs end close together; others go last.
LONGEST_FIRST="default vm hub front_door docker_engine swarm hypervisor resilience jupyter registry_mirror smoke"

bash tests/rig/prepare.sh || exit 1
. tests/rig/env.sh
export LABFORGE_RESULTS="$top/.rig/results"
mkdir -p "$LABFORGE_RESULTS"

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  for name in $LONGEST_FIRST; do [ -f "molecule/$name/molecule.yml" ] && scenarios+=("$name"); done
  for f in molecule/*/molecule.yml; do
    name=$(basename "$(dirname "$f")")
    [[ " $LONGEST_FIRST " == *" $name "* ]] || scenarios+=("$name")
  done
fi

runs=()
rc=0
for scenario in "${scenarios[@]}"; do
  [ -f "molecule/$scenario/molecule.yml" ] || { echo "no scenario molecule/$scenario" >&2; rc=1; continue; }
  if [[ "$TRIXIE_TOO" == *" $scenario "* ]]; then runs+=("$scenario bookworm trixie"); else runs+=("$scenario bookworm"); fi
done

jobs=${LABFORGE_MOLECULE_JOBS:-2}
[ ${#runs[@]} -gt 1 ] || jobs=1
export RUN_STEP_QUIET=$(( jobs > 1 ))
printf '%s\n' "${runs[@]}" | xargs -P "$jobs" -L 1 tests/molecule-run.sh || rc=1
exit "$rc"
