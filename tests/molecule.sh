#!/usr/bin/env bash
# Run Molecule scenarios on the local rig: `molecule.sh` runs all of them, `molecule.sh NAME`
# one. Each scenario runs on Debian bookworm; those listed in TRIXIE_TOO run on trixie too.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
TRIXIE_TOO=" smoke "

bash tests/rig/prepare.sh || exit 1
. tests/rig/env.sh
export LABFORGE_RESULTS="$top/.rig/results"
mkdir -p "$LABFORGE_RESULTS"

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi

rc=0
for scenario in "${scenarios[@]}"; do
  [ -f "molecule/$scenario/molecule.yml" ] || { echo "no scenario molecule/$scenario" >&2; rc=1; continue; }
  distros=(bookworm)
  [[ "$TRIXIE_TOO" == *" $scenario "* ]] && distros+=(trixie)
  for distro in "${distros[@]}"; do
    rm -f ".rig/results/molecule-$scenario-$distro.xml"
    LABFORGE_MOLECULE_DISTRO=$distro \
    LABFORGE_MOLECULE_IMAGE=${LABFORGE_MOLECULE_IMAGE:-labforge/molecule-debian:$distro} \
      tests/run-step.sh "molecule-$scenario-$distro" molecule test -s "$scenario" || rc=1
    if [ ! -s ".rig/results/molecule-$scenario-$distro.xml" ]; then
      echo "molecule-$scenario-$distro: no testinfra results (verify did not run)" >&2
      rc=1
    fi
  done
done
exit "$rc"
