#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is at /usr/bin/chromium for the browser tests.
# The tests drive it with the Python playwright package; no browser is ever downloaded
# (`playwright install` is not used).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk
/usr/bin/chromium --version
