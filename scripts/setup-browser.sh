#!/usr/bin/env bash
# Install Debian's chromium for the browser end-to-end test (tests/notebook/test_browser.py).
# Idempotent: does nothing when /usr/bin/chromium exists. Never runs `playwright install`
# (the test machine reaches package registries only); playwright drives the system chromium.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "setup-browser: $CHROMIUM already present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown')); nothing to do"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-browser: $CHROMIUM missing and not running as root; install it with: sudo apt-get install -y chromium" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser: $CHROMIUM missing and apt-get is not available on this system" >&2
    exit 1
fi

echo "setup-browser: installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium
echo "setup-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
