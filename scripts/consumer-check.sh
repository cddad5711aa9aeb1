#!/usr/bin/env bash
# The package proven from outside: build and pack this repository, scaffold a consumer project with
# `saga init --package <tarball>` in a temporary directory outside it, install from the npm cache,
# and run what a user would: plain-node import and require() of every entry point, a strict tsc,
# the consumer's own tests (saga-choreography/testing), a simulation with faults, `cdk synth` — and
# look into the framework functions' bundles for anything of the reference saga.
# Usage: bash scripts/consumer-check.sh [node-binary-dir]   (PATH's node by default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if [ -n "${1:-}" ]; then export PATH="$1:$PATH"; fi
step() { printf '\n[consumer-check %s] %s\n' "$(date +%T)" "$*"; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
step "node $(node --version); packing the package (npm pack runs the build) …"
npm pack --silent --pack-destination "$WORK" >/dev/null
TARBALL=$(ls "$WORK"/saga-choreography-*.tgz)
step "tarball $(basename "$TARBALL"): $(tar -tzf "$TARBALL" | wc -l) files"
if tar -tzf "$TARBALL" | grep -E '^package/(test|bench|scratch)/' >/dev/null; then echo "the tarball ships tests or benchmarks" >&2; exit 1; fi

CONSUMER="$WORK/my-transfers"
step "scaffolding a consumer with saga init in $CONSUMER …"
node "$ROOT/bin/saga.js" init "$CONSUMER" --package "$TARBALL" --name my-transfers
cd "$CONSUMER"
step "npm install (from the npm cache where it can) …"
npm install --prefer-offline --no-audit --no-fund --loglevel=error

step "plain node: import and require() of every entry point"
for entry in saga-choreography saga-choreography/runtime saga-choreography/local saga-choreography/testing saga-choreography/constructs; do
  node --input-type=module -e "await import('$entry')"
  node -e "require('$entry')"
  echo "  $entry: import ok, require ok"
done

step "tsc --strict (skipLibCheck false) against the shipped types"
npx tsc -p .

step "the consumer's tests (saga-choreography/testing)"
npx vitest run

step "saga verify and a short simulation with every fault"
npx saga verify --app src/app.ts
npx saga simulate --app src/app.ts --sagas 30 --all-faults 0.05 --seed 3 > "$WORK/simulate.txt" 2>"$WORK/simulate.err" || { cat "$WORK/simulate.err" "$WORK/simulate.txt"; exit 1; }
tail -3 "$WORK/simulate.txt"

step "cdk synth (offline, no credentials)"
npx cdk synth --quiet >/dev/null
ASSETS=$(find cdk.out -name 'index.mjs' -o -name 'index.js' | grep asset || true)
[ -n "$ASSETS" ] || { echo "cdk synth produced no Lambda bundles" >&2; exit 1; }
echo "  $(echo "$ASSETS" | wc -l) Lambda bundles"
if grep -l -E 'reserveStock|freezePoints|capturePayment|OrderRequested|sku-espresso' $ASSETS; then echo "a bundle carries the reference order saga" >&2; exit 1; fi
grep -l 'TransferRequested' $ASSETS >/dev/null || { echo "no bundle carries the consumer's definition" >&2; exit 1; }
step "ok: the package works from outside"
