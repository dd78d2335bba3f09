#!/usr/bin/env bash
# Long renders on many workers: one ≥ 10-minute clip rendered through the scaled-out roles
# (`cofee migrate`, `cofee api`, N × `cofee worker` taking `render,render_chunk`, on a PostgreSQL
# database of its own and file storage) one-piece (COFEE_RENDER_CHUNK_SECS=0, one worker) and
# chunked with 1, 2 and 3 workers, one after another on this machine. For each: wall time from
# the render request to its job's success, and CPU seconds of the workers with everything they
# ran (user + system, children included, from /proc). The CPU overhead of chunking is the
# chunked renders' CPU seconds over the one-piece render's, less one (goal ≤ 0.05); outputs are
# checked to have the one-piece render's frame count and duration.
#
# Usage: bench/scale.sh [PATH_TO_COFEE] [--seconds 600] [--size 720x1280] [--chunk-secs 120]
#                       [--preset veryfast] [--workers "1 2 3"]
# Ends with: one_piece_wall_s, one_piece_cpu_s, chunked_wall_s_N and chunked_cpu_s_N for each
# worker count, and chunk_cpu_overhead (the mean over the chunked runs, a fraction).
set -euo pipefail
cd "$(dirname "$0")/.."
cofee=""
secs=600 size=720x1280 chunk_secs=120 preset=veryfast worker_counts="1 2 3"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) secs=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --chunk-secs) chunk_secs=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    --workers) worker_counts=$2; shift 2 ;;
    *) cofee=$1; shift ;;
  esac
done
if [ -z "$cofee" ]; then
  cargo build -q --release -p cofee --features whisper
  cofee="${CARGO_TARGET_DIR:-$PWD/target}/release/cofee"
fi

# The clip: read speech (the LibriVox recordings Debian ships, looped) over a moving test
# picture, 30 fps H.264 with keyframes every 2 s as phones and editors write them.
cache=${COFEE_BENCH_CACHE:-/var/tmp/cofee-bench}
mkdir -p "$cache"
clip="$cache/scale-${size}-${secs}s.mp4"
if [ ! -s "$clip" ]; then
  echo "making a ${secs} s ${size} clip …" >&2
  src=/usr/share/pocketsphinx/test/data/librivox
  sed "s|^|file '$src/|; s|$|.wav'|" "$src/fileids" > "$cache/speech.list"
  ffmpeg -v error -y -f concat -safe 0 -i "$cache/speech.list" -c:a pcm_s16le "$cache/speech.wav"
  ffmpeg -v error -y -f lavfi -i "testsrc2=s=${size}:r=30" -stream_loop -1 -i "$cache/speech.wav" \
    -t "$secs" -c:v libx264 -preset ultrafast -crf 26 -g 60 -c:a aac -b:a 96k -movflags +faststart -f mp4 "$clip.part"
  mv "$clip.part" "$clip"
fi

bench=scale
source bench/roles.sh
# CPU seconds of a process and the children it waited for: utime stime cutime cstime.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print ($12 + $13 + $14 + $15) / hz}' "/proc/$1/stat"; }
port=$(free_port)
"$cofee" api --listen "127.0.0.1:$port" --scratch-dir "$work/api" >"$work/api.log" 2>&1 &
pids+=("$!")
base="http://127.0.0.1:$port"
wait_http "$base/health/live"

token=$(sign_in "$base" scale@example.com)
auth=(-H "authorization: Bearer $token")
project=$(curl -sf "${auth[@]}" -H 'content-type: application/json' -d '{"name": "long talk"}' "$base/api/projects" | json 'd["id"]')
curl -sf -o /dev/null "${auth[@]}" -H 'x-file-name: talk.mp4' -T "$clip" "$base/api/projects/$project/media"
# Captions as a talk has them: a word every 0.4 s, pages of a few words, across every join.
python3 - "$secs" > "$work/captions.json" <<'PY'
import json, sys
secs = int(sys.argv[1])
words = ["so", "today", "we", "talk", "about", "captions", "that", "follow", "the", "voice"]
print(json.dumps({"language": "en", "words": [
    {"text": words[i % len(words)], "start": round(i * 0.4 + 0.05, 3), "end": round(i * 0.4 + 0.35, 3)}
    for i in range(int(secs / 0.4) - 1)]}))
PY
curl -sf -o /dev/null "${auth[@]}" -X PUT -H 'content-type: application/json' -H 'if-match: "v0"' \
  --data-binary "@$work/captions.json" "$base/api/projects/$project/captions"

# Renders the project with $1 workers and chunks of $2 seconds (0: one piece); prints
# "WALL CPU FRAMES DURATION".
render() {
  local n=$1 chunk=$2 wpids=() i started job state t0 t1 cpu=0 render_id
  for i in $(seq "$n"); do
    COFEE_RENDER_CHUNK_SECS=$chunk "$cofee" worker --listen "127.0.0.1:$(free_port)" \
      --queues render,render_chunk --scratch-dir "$work/w$i" >"$work/worker-$n-$chunk-$i.log" 2>&1 &
    wpids+=("$!"); pids+=("$!")
  done
  sleep 1
  t0=$(date +%s.%N)
  started=$(curl -sf "${auth[@]}" -H 'content-type: application/json' -d "{\"preset\": \"$preset\"}" \
    "$base/api/projects/$project/renders")
  job=$(json 'd["job_id"]' <<<"$started"); render_id=$(json 'd["render_id"]' <<<"$started")
  while :; do
    state=$(curl -sf "${auth[@]}" "$base/api/jobs/$job" | json 'd["state"]')
    case "$state" in
      succeeded) break ;;
      dead|cancelled) echo "the render ended $state; logs in $work" >&2; trap - EXIT; exit 1 ;;
    esac
    sleep 0.2
  done
  t1=$(date +%s.%N)
  for i in "${wpids[@]}"; do cpu=$(awk -v a="$cpu" -v b="$(cpu_s "$i")" 'BEGIN {print a + b}'); kill "$i"; done
  for i in "${wpids[@]}"; do wait "$i" 2>/dev/null || true; done
  curl -sf -o "$work/out.mp4" "${auth[@]}" -L "$base/api/renders/$render_id/download"
  local frames duration
  frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$work/out.mp4")
  duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/out.mp4")
  awk -v a="$t0" -v b="$t1" -v c="$cpu" -v f="$frames" -v d="$duration" 'BEGIN {printf "%.1f %.1f %d %.3f\n", b - a, c, f, d}'
}

echo "clip: $clip (${secs} s, ${size}, x264 $preset), chunks of ${chunk_secs} s"
read -r wall cpu frames duration < <(render 1 0)
echo "one-piece, 1 worker: wall ${wall} s, CPU ${cpu} s, ${frames} frames, ${duration} s"
summary="one_piece_wall_s=$wall one_piece_cpu_s=$cpu"
one_cpu=$cpu one_frames=$frames one_duration=$duration overheads=()
for n in $worker_counts; do
  read -r w c f d < <(render "$n" "$chunk_secs")
  overhead=$(awk -v c="$c" -v o="$one_cpu" 'BEGIN {printf "%.4f", c / o - 1}')
  echo "chunked, $n worker(s): wall ${w} s, CPU ${c} s (overhead ${overhead}), ${f} frames, ${d} s"
  [ "$f" = "$one_frames" ] || { echo "chunked output has $f frames, one-piece $one_frames" >&2; exit 1; }
  awk -v a="$d" -v b="$one_duration" 'BEGIN {exit !((a - b) ^ 2 < 0.0025)}' \
    || { echo "chunked output lasts $d s, one-piece $one_duration s" >&2; exit 1; }
  summary="$summary chunked_wall_s_$n=$w chunked_cpu_s_$n=$c"
  overheads+=("$overhead")
done
mean=$(printf '%s\n' "${overheads[@]}" | awk '{s += $1} END {printf "%.4f", s / NR}')
echo "summary: seconds=$secs size=$size preset=$preset chunk_secs=$chunk_secs $summary chunk_cpu_overhead=$mean"
