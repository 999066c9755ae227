#!/usr/bin/env bash
# Makes sure Debian's nginx is installed (for `npm run cluster` and its test) and prints its path.
# As root it installs the package; otherwise it says exactly what to run.
set -euo pipefail
for bin in /usr/sbin/nginx /usr/bin/nginx; do
  if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
done
if [ "$(id -u)" != 0 ]; then
  echo "nginx is missing. Install it with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y nginx" >&2
  exit 1
fi
echo "== installing nginx (apt-get install nginx)" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >&2
# The package may start the system's own nginx on port 80; the cluster runs its own, so stop that one.
if command -v service >/dev/null; then service nginx stop >/dev/null 2>&1 || true; fi
echo /usr/sbin/nginx
