# Sourced by the Makefile's molecule runs: what the scenarios need to know about the rig.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LABFORGE_TEST_REGISTRY="$(docker_gateway):5000"
export LABFORGE_TEST_REGISTRY
