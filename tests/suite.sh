#!/usr/bin/env bash
# The whole test suite (`make test`): lint (yamllint, ansible-lint, the generated docs current)
# and unit tests beside the rig's preparation, then every Molecule scenario, then a summary
# that ends with `N passed, N failed`.
# Runs every step even when one fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rm -rf .rig/results
mkdir -p .rig/results

# Lint and unit tests need no rig: they run beside its preparation, which mostly waits on
# downloads and image builds (one core of two was idle there).
(
  export RUN_STEP_QUIET=1
  tests/run-step.sh lint-yaml yamllint --strict .
  tests/run-step.sh lint-ansible ansible-lint --profile production
  tests/run-step.sh lint-docs python3 tools/docs.py --check
  tests/run-step.sh unit pytest -q -p no:cacheprovider --junitxml=.rig/results/unit.xml tests/unit
) &
checks=$!
tests/run-step.sh rig bash tests/rig/prepare.sh
wait "$checks"
tests/molecule.sh

echo
echo "=== summary"
python3 tests/summary.py
