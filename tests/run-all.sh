#!/usr/bin/env bash
# The one test command (`npm test`, also what .ci/run calls): unit, UI component, integration, then
# end-to-end in Chromium against the real server, then the field story in Firefox ESR and WebKitGTK. Starts a throwaway PostgreSQL for the storage and cluster tests. Installs what it needs or says exactly what to run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing dependencies (npm ci)"
  npm ci
fi
bash tests/setup/ensure-chromium.sh
bash tests/setup/ensure-engines.sh # Firefox ESR, WebKitGTK's WebDriver and Xvfb for tests/engines/
bash tests/setup/postgres.sh ensure
bash deploy/ensure-nginx.sh >/dev/null # for the `npm run cluster` test

echo "== PostgreSQL for the storage and cluster tests (throwaway, stopped on exit)"
PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fieldboard-pg.XXXXXX")
chmod 755 "$PG_DIR" # the server runs as the fieldboard-pg user (tests/setup/postgres.sh)
trap 'bash tests/setup/postgres.sh stop "$PG_DIR/data"; rm -rf "$PG_DIR"' EXIT
FIELDBOARD_TEST_PG_URL=$(bash tests/setup/postgres.sh start "$PG_DIR/data" fsync-off)
export FIELDBOARD_TEST_PG_URL

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p sw/tsconfig.json

echo "== unit, ui and integration tests (vitest)"
npx vitest run

echo "== build the PWA"
npm run --silent build | tail -n 1

echo "== end-to-end tests (Playwright, system Chromium)"
# The engine runner runs even when Playwright failed: a failure in one engine says nothing about the others.
playwright_rc=0
FIELDBOARD_SKIP_BUILD=1 npx playwright test "$@" || playwright_rc=$?

echo "== end-to-end in Firefox ESR and WebKitGTK (tests/engines/, the same build)"
engines_rc=0
node --import tsx tests/engines/run.ts || engines_rc=$?

if [ "$playwright_rc" != 0 ] || [ "$engines_rc" != 0 ]; then
  echo "failed: Playwright exit $playwright_rc, engine runner exit $engines_rc" >&2
  exit 1
fi
