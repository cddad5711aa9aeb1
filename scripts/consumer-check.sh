#!/usr/bin/env bash
# The package proven from outside: build and pack this repository, scaffold a consumer project with
# `saga init --package <tarball>` in a temporary directory outside it, install from the npm cache,
# and run what a user would: plain-node import and require() of every entry point, a strict tsc,
# the consumer's own tests (saga-choreography/testing), a simulation with faults, `cdk synth` — and
# look into the framework functions' bundles for anything of the reference saga.
#
# Usage: bash scripts/consumer-check.sh [node-bin-dir ...]
#   Packs, scaffolds and installs once (PATH's node), then runs the checks on PATH's node and again
#   on the node in each given directory (CI passes Node 24's). tsc runs once: its result does not
#   depend on the node that runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
START=$SECONDS
step() { printf '\n[consumer-check %s +%ss] %s\n' "$(date +%T)" "$((SECONDS - START))" "$*"; }

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

step "tsc --strict (skipLibCheck false) against the shipped types"
npx tsc -p .

ENTRIES='saga-choreography saga-choreography/runtime saga-choreography/local saga-choreography/testing saga-choreography/constructs'
check_on_node() {
  step "node $(node --version): import and require() of every entry point (same exports both ways)"
  for entry in $ENTRIES; do
    imported=$(node --input-type=module -e "const m = await import('$entry'); console.log(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort().join(' '))")
    required=$(node --no-warnings -e "const m = require('$entry'); console.log(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports' && k !== '__esModule').sort().join(' '))")
    [ -n "$imported" ] || { echo "  $entry: import gives no exports" >&2; exit 1; }
    [ "$imported" = "$required" ] || { echo "  $entry: require() gives other exports than import" >&2; diff <(tr ' ' '\n' <<<"$imported") <(tr ' ' '\n' <<<"$required") >&2; exit 1; }
    echo "  $entry: import ok, require ok ($(wc -w <<<"$imported") exports)"
  done

  step "node $(node --version): the consumer's tests (saga-choreography/testing)"
  npx vitest run

  step "node $(node --version): saga verify and a short simulation with every fault"
  npx saga verify --app src/app.ts
  npx saga simulate --app src/app.ts --sagas 30 --all-faults 0.05 --seed 3 > "$WORK/simulate.txt" 2>"$WORK/simulate.err" || { cat "$WORK/simulate.err" "$WORK/simulate.txt"; exit 1; }
  tail -3 "$WORK/simulate.txt"

  step "node $(node --version): cdk synth (offline, no credentials)"
  rm -rf cdk.out
  npx cdk synth --quiet >/dev/null
  ASSETS=$(find cdk.out -name 'index.mjs' -o -name 'index.js' | grep asset || true)
  [ -n "$ASSETS" ] || { echo "cdk synth produced no Lambda bundles" >&2; exit 1; }
  echo "  $(echo "$ASSETS" | wc -l) Lambda bundles"
  if grep -l -E 'reserveStock|freezePoints|capturePayment|OrderRequested|OrderPlaced|sku-espresso' $ASSETS; then echo "a bundle carries the reference order saga" >&2; exit 1; fi
  grep -l 'TransferRequested' $ASSETS >/dev/null || { echo "no bundle carries the consumer's definition" >&2; exit 1; }
}

check_on_node
for dir in "$@"; do
  [ -x "$dir/node" ] || { echo "consumer-check: no node binary in $dir" >&2; exit 1; }
  PATH="$dir:$PATH" check_on_node
done
step "ok: the package works from outside"
