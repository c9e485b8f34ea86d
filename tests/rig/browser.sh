#!/usr/bin/env bash
# A real headless browser for the scenario tests (molecule/shared/labforge_browser.py):
# Debian's chromium and its chromedriver, and NSS's certutil to put the lab's CA into the
# browser's trust store.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

apt_install chromium chromium-driver libnss3-tools
for tool in chromium chromedriver certutil; do
  command -v "$tool" >/dev/null || die "$tool is missing after installing the browser"
done
