#!/usr/bin/env bash
# The whole test suite (`make test`): lint (yamllint, ansible-lint, the generated docs current),
# unit tests, every Molecule scenario, then a summary that ends with `N passed, N failed`.
# Runs every step even when one fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rm -rf .rig/results
mkdir -p .rig/results

tests/run-step.sh lint-yaml yamllint --strict .
tests/run-step.sh lint-ansible ansible-lint --profile production
tests/run-step.sh lint-docs python3 tools/docs.py --check
tests/run-step.sh unit pytest -q -p no:cacheprovider --junitxml=.rig/results/unit.xml tests/unit
tests/molecule.sh

echo
echo "=== summary"
python3 tests/summary.py
