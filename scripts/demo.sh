#!/usr/bin/env bash
# The README's one command: installs what is missing, builds the local test environment on
# first use (cached in ~/.cache/sluice afterwards), builds Sluice and runs the playground
# (playground/main.ts). Flags go to the playground: `npm run demo -- --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '==> %s\n' "$*"; }
started=$SECONDS
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step 'Installing the npm dependencies (npm ci)'
  npm ci
fi
step 'Local test environment: etcd, Kubernetes, kwok, helm, Prometheus (the first run builds them: several minutes)'
bash test/env/setup.sh
step 'Building Sluice (tsc)'
npm run --silent build
step "Ready after $((SECONDS - started)) s; starting the playground"
# exec: Ctrl-C and SIGTERM reach the playground itself, which stops everything it started.
exec node dist/playground/main.js "$@"
