#!/usr/bin/env bash
# Makes sure the Debian Chromium that the end-to-end tests drive is installed.
# `npx playwright install` cannot work on these machines (no browser download host), so the tests use
# /usr/bin/chromium from Debian's `chromium` package. As root we install it; otherwise we say what to run.
set -euo pipefail
CHROMIUM="${FIELDBOARD_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: installing the Debian package 'chromium' (apt-get update && apt-get install -y chromium)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && { echo "Chromium installed: $("$CHROMIUM" --version 2>/dev/null)"; exit 0; }
fi
cat >&2 <<MSG
The end-to-end tests need Chromium at $CHROMIUM and it is not installed.
Install it with:
    sudo apt-get update && sudo apt-get install -y chromium
(or point FIELDBOARD_CHROMIUM at another Chromium binary), then run the tests again.
MSG
exit 1
