#!/usr/bin/env bash
# One Molecule scenario on each of the given distributions, one after the other (runs of
# one scenario share Molecule's state and instance names): `molecule-run.sh SCENARIO
# DISTRO...`. A run that leaves no testinfra results has failed, whatever molecule said.
# Called by molecule.sh.
set -uo pipefail
scenario=$1
shift
cd "$(dirname "$0")/.."
rc=0
for distro in "$@"; do
  results=".rig/results/molecule-$scenario-$distro.xml"
  rm -f "$results"
  LABFORGE_MOLECULE_DISTRO=$distro \
  LABFORGE_MOLECULE_IMAGE=${LABFORGE_MOLECULE_IMAGE:-labforge/molecule-debian:$distro} \
    tests/run-step.sh "molecule-$scenario-$distro" molecule test -s "$scenario" || rc=1
  if [ ! -s "$results" ]; then
    echo "molecule-$scenario-$distro: no testinfra results (verify did not run)" >&2
    rc=1
  fi
done
exit "$rc"
