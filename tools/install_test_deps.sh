#!/bin/sh
# System packages the test suite needs beyond pip: headless Chromium for the HTML report test
# (tests/test_report_browser.py). Idempotent: does nothing when Chromium is already installed.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_test_deps: no apt-get; install Chromium yourself (the browser test will skip)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
then
    echo "install_test_deps: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
else
    # not fatal: without Chromium the browser test skips and says why
    echo "install_test_deps: could not install Chromium with apt-get (the browser test will skip)" >&2
fi
