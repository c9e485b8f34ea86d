#!/usr/bin/env bash
# Run one step of the test suite, keep its log, record whether it passed.
#   run-step.sh NAME COMMAND [ARGS...]
# The step's output goes to the terminal and to .rig/logs/NAME.log; its result is appended
# to .rig/results/steps.txt, which tests/summary.py reads. With RUN_STEP_QUIET=1 (steps
# that run side by side) the output goes to the log only, and a failed step's last lines
# are shown.
set -uo pipefail
name=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/.rig/logs" "$top/.rig/results"
start=$(date +%s)
printf '\n=== %s: %s\n' "$name" "$*"
if [ "${RUN_STEP_QUIET:-0}" = 1 ]; then
  "$@" >"$top/.rig/logs/$name.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || sed 's/\x1b\[[0-9;]*m//g' "$top/.rig/logs/$name.log" | tail -n 60 | sed "s/^/$name| /"
else
  "$@" 2>&1 | tee "$top/.rig/logs/$name.log"
  rc=${PIPESTATUS[0]}
fi
seconds=$(( $(date +%s) - start ))
if [ "$rc" -eq 0 ]; then result=passed; else result=failed; fi
printf '%s %s %s\n' "$name" "$result" "$seconds" >>"$top/.rig/results/steps.txt"
printf '=== %s %s in %ss\n' "$name" "$result" "$seconds"
exit "$rc"
