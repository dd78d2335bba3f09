#!/usr/bin/env bash
# Memory during a large upload: streams a ≥ 1 GiB MP4 through `PUT /api/projects/{id}/media`
# of a release `cofee serve` and prints the server's resident memory before and at its peak.
# Goal: growth under 64 MiB (the body is written to disk as it arrives, never held in memory).
#
#   bench/upload.sh [--gib 1]
set -euo pipefail
cd "$(dirname "$0")/.."
GIB=1
[ "${1:-}" = "--gib" ] && GIB=$2

cargo build --release -q -p cofee
COFEE=${CARGO_TARGET_DIR:-target}/release/cofee
OUT=bench/out
mkdir -p "$OUT"

BIG=$OUT/upload-${GIB}g.mp4
if [ ! -f "$BIG" ]; then
  # A lossless clip, looped by stream copy until the file passes the size (fast to make).
  ffmpeg -v error -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=10" -f lavfi -i "sine=d=10" \
    -c:v libx264 -preset ultrafast -qp 0 -c:a aac "$OUT/chunk.mp4"
  CHUNK=$(stat -c %s "$OUT/chunk.mp4")
  LOOPS=$(( (GIB * 1024 * 1024 * 1024) / CHUNK + 1 ))
  ffmpeg -v error -y -stream_loop "$LOOPS" -i "$OUT/chunk.mp4" -c copy -f mp4 "$BIG"
fi
SIZE=$(stat -c %s "$BIG")

DATA=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
"$COFEE" serve --listen 127.0.0.1:0 --data-dir "$DATA" --max-file-mib $(( GIB * 1024 + 1024 )) > "$DATA/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q http:// "$DATA/serve.log" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$DATA/serve.log" | head -1)

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
curl -sf -X POST "$URL/api/auth/register" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"benchmark password"}' >/dev/null
TOKEN=$(curl -sf -X POST "$URL/api/auth/login" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"benchmark password"}' | json "['access_token']")
PROJECT=$(curl -sf -X POST "$URL/api/projects" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"big"}' | json "['id']")

kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
BEFORE=$(kb VmRSS)
START=$(date +%s.%N)
STATUS=$(curl -s -o "$DATA/resp.json" -w '%{http_code}' -X PUT -T "$BIG" -H "authorization: Bearer $TOKEN" "$URL/api/projects/$PROJECT/media")
END=$(date +%s.%N)
PEAK=$(kb VmHWM)

python3 - "$SIZE" "$BEFORE" "$PEAK" "$START" "$END" "$STATUS" <<'PY'
import sys
size, before, peak, start, end, status = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
growth = (peak - before) / 1024
print(f"upload: {size / 2**30:.2f} GiB in {end - start:.1f} s ({size / 2**20 / (end - start):.0f} MiB/s), HTTP {status}")
print(f"server RSS: {before / 1024:.1f} MiB before, {peak / 1024:.1f} MiB peak, growth {growth:.1f} MiB (goal < 64 MiB: {'met' if growth < 64 else 'NOT met'})")
PY
