#!/usr/bin/env bash
# Makes sure the engines of the second browser runner (tests/engines/) are installed: Debian's Firefox ESR
# (driven by puppeteer-core over WebDriver BiDi), WebKitGTK's WebDriver and MiniBrowser (selenium-webdriver),
# and Xvfb, since WebKitGTK has no headless mode. No browser is downloaded: these machines reach only the
# package registries. As root we install them with apt; otherwise we say exactly what to run.
set -euo pipefail
FIREFOX="${FIELDBOARD_FIREFOX:-/usr/bin/firefox-esr}"
WEBKIT_DRIVER="${FIELDBOARD_WEBKIT_DRIVER:-/usr/bin/WebKitWebDriver}"
PACKAGES="firefox-esr webkit2gtk-driver xvfb"

missing() {
  [ -x "$FIREFOX" ] || return 0
  [ -x "$WEBKIT_DRIVER" ] || return 0
  command -v Xvfb >/dev/null 2>&1 || return 0
  command -v xvfb-run >/dev/null 2>&1 || return 0
  ls /usr/lib/*/webkit2gtk-4.*/MiniBrowser >/dev/null 2>&1 || return 0
  return 1
}

if ! missing; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Firefox ESR, WebKitGTK's WebDriver or Xvfb is missing: installing the Debian packages ($PACKAGES)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $PACKAGES >/dev/null
  if ! missing; then
    echo "Installed: $("$FIREFOX" --version 2>/dev/null), WebKitWebDriver $(dpkg-query -W -f='${Version}' webkit2gtk-driver 2>/dev/null)"
    exit 0
  fi
fi
cat >&2 <<MSG
The Firefox and WebKit end-to-end runner (tests/engines/) needs Firefox ESR at $FIREFOX, WebKitGTK's
WebDriver at $WEBKIT_DRIVER with its MiniBrowser, and Xvfb; something is not installed.
Install them with:
    sudo apt-get update && sudo apt-get install -y $PACKAGES
then run the tests again.
MSG
exit 1
