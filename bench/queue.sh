#!/usr/bin/env bash
# Queue throughput: Dramatiq (PyPI, on Redis, `--processes 1 --threads 2`, as the seed's compose
# ran it) and Cofee's queue on PostgreSQL (the worker runtime `cofee worker` runs, two job slots)
# each drain the same number of no-op jobs, interleaved, in one run. Each run counts how often
# every job ran: a job run twice is a duplicate; one that never ran (or, on Cofee's side, did
# not end `succeeded`) is lost. Both clocks run from the first job's run to the last's.
#
# Usage: bench/queue.sh [--jobs N] [--runs N]
# Ends with: cofee_jobs_per_s, dramatiq_jobs_per_s (medians), jobs_ratio (goal ≥ 5),
# duplicates and lost (over every run of both; goal 0).
# Needs the PostgreSQL server at $COFEE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/
# postgres) and Redis at 127.0.0.1:6379; uses a database and keys of its own and removes them.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=5000
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
admin=${COFEE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
venv=${COFEE_BENCH_QUEUE_VENV:-/var/tmp/cofee-bench-queue-venv}
[ -x "$venv/bin/dramatiq" ] || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'dramatiq[redis]==2.2.1' 'redis==8.1.0'
}
cargo build --release -q -p cofee-worker --example queue_drain
drain="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/queue_drain"

id=$(date +%s)_$$
db="cofee_bench_queue_$id"
export QUEUE_BENCH_NAMESPACE="cofee-bench-queue-$id"
worker=""
finish() {
  [ -n "$worker" ] && kill "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli --scan --pattern "$QUEUE_BENCH_NAMESPACE*" | xargs -r redis-cli del >/dev/null
}
trap finish EXIT
value() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

cofee_rates=() dramatiq_rates=() duplicates=0 lost=0
for run in $(seq "$runs"); do
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  line=$("$drain" --database-url "${admin%/*}/$db" --jobs "$jobs" --concurrency 2)
  echo "run $run cofee:    $line"
  cofee_rates+=("$(value jobs_per_s "$line")")
  duplicates=$((duplicates + $(value duplicates "$line")))
  lost=$((lost + $(value lost "$line")))

  redis-cli --scan --pattern "$QUEUE_BENCH_NAMESPACE*" | xargs -r redis-cli del >/dev/null
  (cd bench/queue && "$venv/bin/python" dramatiq_drain.py enqueue "$jobs")
  (cd bench/queue && exec "$venv/bin/dramatiq" dramatiq_drain --processes 1 --threads 2 2>/dev/null) &
  worker=$!
  line=$(cd bench/queue && "$venv/bin/python" dramatiq_drain.py wait "$jobs")
  kill "$worker"; wait "$worker" 2>/dev/null || true; worker=""
  echo "run $run dramatiq: $line"
  dramatiq_rates+=("$(value jobs_per_s "$line")")
  duplicates=$((duplicates + $(value duplicates "$line")))
  lost=$((lost + $(value lost "$line")))
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
cofee=$(median "${cofee_rates[@]}")
dramatiq=$(median "${dramatiq_rates[@]}")
ratio=$(awk -v a="$cofee" -v b="$dramatiq" 'BEGIN {printf "%.2f", a / b}')
echo "summary: jobs=$jobs runs=$runs cofee_jobs_per_s=$cofee dramatiq_jobs_per_s=$dramatiq jobs_ratio=$ratio duplicates=$duplicates lost=$lost"
