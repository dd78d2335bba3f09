#!/usr/bin/env bash
# Tests the API against its own OpenAPI document with schemathesis: starts `cofee serve` (SQLite
# and files in a temporary directory, a random free port), signs a user up, and runs every
# schemathesis check in every phase (examples, coverage, fuzzing, stateful) as that user, with
# the configuration in schemathesis.toml (which lists, with their reasons, the expectations it
# adjusts). Prints a cargo-style result line that scripts/test.sh counts.
#
# schemathesis comes from PyPI, pinned with hashes (scripts/schemathesis-requirements.txt), into
# a virtualenv outside the clone ($COFEE_SCHEMATHESIS_VENV), installed again only when the pins
# change. The binary is $COFEE_BIN, by default the debug build of the cargo target directory.
# COFEE_SCHEMATHESIS_EXAMPLES sets the cases per operation and phase (default 10),
# COFEE_SCHEMATHESIS_SEED fixes the random seed (a failing run prints the one it used).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv=${COFEE_SCHEMATHESIS_VENV:-/var/tmp/cofee-schemathesis-venv}
requirements=scripts/schemathesis-requirements.txt
pins=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$requirements"
  echo "$pins" > "$venv/.pins"
fi

bin=${COFEE_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/cofee}
work=$(mktemp -d "${TMPDIR:-/tmp}/cofee-schemathesis-XXXXXX")
server=
finish() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap finish EXIT
fail() {
  echo "schemathesis: $*" >&2
  echo "test result: FAILED. 0 passed; 1 failed; 0 ignored (schemathesis)"
  exit 1
}
[ -x "$bin" ] || fail "no cofee binary at $bin (cargo build -p cofee first)"

# The request budgets are switched off for this run, so that the checks reach the handlers
# rather than a 429 (which every /api/ operation documents all the same; the budgets have tests
# of their own in crates/cofee-server/tests/rate_limits.rs).
COFEE_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
COFEE_RATE_LIMIT_IP=off COFEE_RATE_LIMIT_USER=off COFEE_RATE_LIMIT_SIGN_IN=off COFEE_RATE_LIMIT_ACCOUNT=off \
  "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" --engine sphinx >"$work/serve.log" 2>&1 &
server=$!
url=
for _ in $(seq 600); do
  url=$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$work/serve.log" || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; fail "cofee serve exited"; }
  sleep 0.1
done
[ -n "$url" ] || fail "cofee serve did not start"

# A user of its own, and an access token for it (valid 15 minutes: longer than the run).
token=$(python3 - "$url" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
creds = {"email": "schemathesis@example.com", "password": "correct horse battery"}
post("/api/auth/register", creds)
print(post("/api/auth/login", creds)["access_token"])
PY
) || fail "could not sign up"

started=$(date +%s)
status=0
COFEE_SCHEMATHESIS_TOKEN=$token "$venv/bin/schemathesis" --config-file "$root/schemathesis.toml" run \
  "$url/api/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${COFEE_SCHEMATHESIS_EXAMPLES:-10}" \
  ${COFEE_SCHEMATHESIS_SEED:+--seed "$COFEE_SCHEMATHESIS_SEED"} \
  --report junit --report-junit-path "$work/junit.xml" \
  --no-color 2>&1 | tee "$work/run.log" || status=$?
echo "schemathesis took $(($(date +%s) - started)) s"

# One result line: the operations tested, and those with a failure.
python3 - "$work/junit.xml" "$status" <<'PY'
import sys, xml.etree.ElementTree as ET
status = int(sys.argv[2])
try:
    cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
    cases = list(cases)
except (OSError, ET.ParseError):
    cases = []
failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
skipped = sum(1 for c in cases if c.find("skipped") is not None)
passed = len(cases) - failed - skipped
if status != 0 and failed == 0:
    failed = 1  # the run failed without saying where (it could not start, or it crashed)
word = "ok" if status == 0 and failed == 0 else "FAILED"
print(f"test result: {word}. {passed} passed; {failed} failed; {skipped} ignored (schemathesis)")
PY
[ "$status" = 0 ] || { echo "--- cofee serve's log (last 40 lines) ---"; tail -n 40 "$work/serve.log"; }
exit "$status"
