#!/usr/bin/env bash
# API throughput: the seed's stack (FastAPI, uvicorn with its standard extras, asyncpg, PyJWT;
# bench/api/seed_api.py) and `cofee api` (the release build the container ships, with whisper)
# on the same PostgreSQL database, answering the same request under the same wrk load,
# interleaved, in one run: GET one project by id with a bearer access token that Cofee issued —
# verify the token, select the row by id and owner. Rate limits are off on Cofee's side (the
# seed had none; wrk would otherwise measure 429s). Also prints the idle resident memory of
# `cofee api` and `cofee worker` (goal ≤ 40 MB each) and of the seed's uvicorn: the API's at
# start and again after it signed two users in (Argon2 takes 19 MiB a hash), each with the part
# that is the process's own (anonymous) apart from the shared libraries' and binary's pages.
#
# Usage: bench/api.sh [PATH_TO_COFEE] [--runs N] [--seconds S] [--connections C]
# Ends with: cofee_rps, seed_rps, rps_ratio (goal ≥ 8), cofee_p99_ms, seed_p99_ms, p99_ratio
# (Cofee / seed; goal ≤ 0.1), api_idle_rss_mb, worker_idle_rss_mb, seed_idle_rss_mb.
set -euo pipefail
cd "$(dirname "$0")/.."
cofee=""
runs=3
seconds=15
connections=64
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) cofee=$1; shift ;;
  esac
done
if [ -z "$cofee" ]; then
  cargo build -q --release -p cofee --features whisper
  cofee="${CARGO_TARGET_DIR:-$PWD/target}/release/cofee"
fi
command -v wrk >/dev/null || {
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
}
venv=${COFEE_BENCH_API_VENV:-/var/tmp/cofee-bench-api-venv}
[ -x "$venv/bin/uvicorn" ] || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'fastapi==0.163.2' 'uvicorn[standard]==0.54.0' \
    'asyncpg==0.32.0' 'pyjwt==2.15.1'
}

bench=api
source bench/roles.sh
export COFEE_RATE_LIMIT_IP=off COFEE_RATE_LIMIT_USER=off COFEE_RATE_LIMIT_SIGN_IN=off COFEE_RATE_LIMIT_ACCOUNT=off
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
anon_mb() { awk '/^RssAnon/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

api_port=$(free_port)
"$cofee" api --listen "127.0.0.1:$api_port" --scratch-dir "$work/api" >"$work/api.log" 2>&1 &
api_pid=$!; pids+=("$api_pid")
worker_port=$(free_port)
"$cofee" worker --listen "127.0.0.1:$worker_port" --scratch-dir "$work/worker" >"$work/worker.log" 2>&1 &
worker_pid=$!; pids+=("$worker_pid")
cofee_base="http://127.0.0.1:$api_port"
wait_http "$cofee_base/health/live"
wait_http "http://127.0.0.1:$worker_port/health/live"
sleep 2
api_start_rss=$(rss_mb "$api_pid") api_start_anon=$(anon_mb "$api_pid")

token=$(sign_in "$cofee_base" bench@example.com)
project=$(curl -sf -H 'content-type: application/json' -H "authorization: Bearer $token" \
  -d '{"name": "bench"}' "$cofee_base/api/projects" | json 'd["id"]')

seed_port=$(free_port)
(cd bench/api && exec "$venv/bin/uvicorn" seed_api:app --host 127.0.0.1 --port "$seed_port" \
  >"$work/seed.log" 2>&1) &
seed_pid=$!; pids+=("$seed_pid")
seed_base="http://127.0.0.1:$seed_port"
for _ in $(seq 100); do
  curl -s -o /dev/null "$seed_base/docs" && break
  sleep 0.1
done
for base in "$cofee_base" "$seed_base"; do
  body=$(curl -sf -H "authorization: Bearer $token" "$base/api/projects/$project") \
    || { echo "GET $base/api/projects/$project failed" >&2; exit 1; }
  grep -q "\"$project\"" <<<"$body" || { echo "$base answered $body" >&2; exit 1; }
done
# The owner check holds on both sides: another user's token gets 404.
other_token=$(sign_in "$cofee_base" other@example.com)
for base in "$cofee_base" "$seed_base"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $other_token" "$base/api/projects/$project")
  [ "$code" = 404 ] || { echo "$base gave another user's project: $code" >&2; exit 1; }
done

sleep 2
api_rss=$(rss_mb "$api_pid") api_anon=$(anon_mb "$api_pid")
worker_rss=$(rss_mb "$worker_pid") worker_anon=$(anon_mb "$worker_pid")
seed_rss=$(rss_mb "$seed_pid") seed_anon=$(anon_mb "$seed_pid")
echo "idle resident memory (of which the process's own): cofee api at start ${api_start_rss} MB (${api_start_anon}), after two sign-ins ${api_rss} MB (${api_anon}); cofee worker ${worker_rss} MB (${worker_anon}); seed uvicorn ${seed_rss} MB (${seed_anon})"

# wrk's latency line for a percentile, in milliseconds.
p99_ms() {
  awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
    print (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v}' <<<"$1"
}
load() {
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" \
    "$1/api/projects/$project"
}
cofee_rps=() seed_rps=() cofee_p99=() seed_p99=()
for run in $(seq "$runs"); do
  for side in cofee seed; do
    base=$cofee_base; [ "$side" = seed ] && base=$seed_base
    out=$(load "$base")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p99=$(p99_ms "$out")
    errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
    echo "run $run $side: ${rps} requests/s, p99 ${p99} ms${errors:+ ($errors)}"
    [ -z "$errors" ] || { echo "$side answered errors under load" >&2; exit 1; }
    if [ "$side" = cofee ]; then cofee_rps+=("$rps"); cofee_p99+=("$p99"); else seed_rps+=("$rps"); seed_p99+=("$p99"); fi
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
c_rps=$(median "${cofee_rps[@]}"); s_rps=$(median "${seed_rps[@]}")
c_p99=$(median "${cofee_p99[@]}"); s_p99=$(median "${seed_p99[@]}")
echo "cofee api resident after the load: $(rss_mb "$api_pid") MB ($(anon_mb "$api_pid") its own)"
awk -v cr="$c_rps" -v sr="$s_rps" -v cp="$c_p99" -v sp="$s_p99" -v a="$api_rss" -v a0="$api_start_rss" -v w="$worker_rss" -v s="$seed_rss" \
  -v runs="$runs" -v secs="$seconds" -v conns="$connections" 'BEGIN {
  printf "summary: runs=%d seconds=%d connections=%d cofee_rps=%.0f seed_rps=%.0f rps_ratio=%.2f cofee_p99_ms=%.2f seed_p99_ms=%.2f p99_ratio=%.3f api_start_rss_mb=%s api_idle_rss_mb=%s worker_idle_rss_mb=%s seed_idle_rss_mb=%s\n",
    runs, secs, conns, cr, sr, cr / sr, cp, sp, cp / sp, a0, a, w, s }'
