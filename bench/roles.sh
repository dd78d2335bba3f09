# Sourced by the benchmarks that run Cofee's scaled-out roles (api.sh, scale.sh): a PostgreSQL
# database and a work directory of their own, the environment every role reads, the schema
# migrated with `cofee migrate`, and everything removed on exit.
#   needs   cofee (the binary), bench (names the database)
#   sets    admin, db, work, pids (add each started process; they are stopped on exit)
#   helpers free_port, wait_http URL, json EXPR (of the JSON on stdin, as `d`),
#           sign_in BASE EMAIL (registers EMAIL with the API at BASE; prints an access token)
admin=${COFEE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="cofee_bench_${bench}_$(date +%s)_$$"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/cofee-$bench-XXXXXX")
pids=()
finish() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap finish EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "nothing answered at $1" >&2; exit 1
}
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
sign_in() {
  local creds="{\"email\": \"$2\", \"password\": \"correct horse battery staple\"}"
  curl -sf -o /dev/null -H 'content-type: application/json' -d "$creds" "$1/api/auth/register"
  curl -sf -H 'content-type: application/json' -d "$creds" "$1/api/auth/login" | json 'd["access_token"]'
}

psql -q "$admin" -c "CREATE DATABASE $db" >/dev/null
export COFEE_DATABASE_URL="${admin%/*}/$db"
COFEE_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export COFEE_JWT_SECRET
export COFEE_STORAGE_URL="file://$work/objects"
mkdir -p "$work/objects"
"$cofee" migrate >"$work/migrate.log" 2>&1
