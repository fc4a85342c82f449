#!/usr/bin/env bash
# The README's one command: installs what is missing, builds the local test environment on
# first use (cached afterwards), builds Sluice and starts the local playground.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci
fi
bash test/env/setup.sh
npm run --silent build
exec node dist/test/harness/cli.js "$@"
