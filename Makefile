# labforge: `make demo` provisions a disposable lab host; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
SCENARIO ?=

.PHONY: help setup rig lint docs unit molecule test bench demo demo-clean clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: $(VENV)/.installed  ## create the virtualenv with the pinned tools

$(VENV)/.installed: requirements.txt constraints.txt
	@command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }
	@python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null \
	  || { sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get update -qq && $$sudo apt-get install -y -qq python3-venv; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

rig: setup  ## start the local test rig: Docker engine, registry, images
	bash tests/rig/prepare.sh

lint: setup  ## yamllint, ansible-lint (production profile), generated docs current
	yamllint --strict .
	ansible-lint --profile production
	python3 tools/docs.py --check

docs: setup  ## regenerate the role READMEs' variables tables and filter_plugins/README.md
	python3 tools/docs.py

unit: setup  ## the filter plugins' pytest suite
	pytest -q -p no:cacheprovider tests/unit

molecule: setup  ## every Molecule scenario, or one: make molecule SCENARIO=name
	tests/molecule.sh $(SCENARIO)

test: setup  ## all of it: lint, unit, molecule; ends with `N passed, N failed`
	tests/suite.sh

bench: rig $(VENV)/.bench-installed  ## measure provisioning (bench/results/latest.md); 35 to 60 min on 2 cores
	python3 bench/run.py $(BENCH_ARGS)

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt -c constraints.txt
	@touch $@

demo: setup  ## provision a disposable local lab host with site.yml, print the Jupyter URL
	tests/rig/demo.sh up

demo-clean:  ## remove the demo lab host
	tests/rig/demo.sh down

clean: demo-clean  ## remove the virtualenv, rig state and caches (images stay in docker)
	rm -rf $(VENV) .rig .cache .pytest_cache
