#!/usr/bin/env bash
# Render speed: `cofee caption --captions …` against a plain FFmpeg re-encode of the same input
# with the same x264 preset, CRF and threads, measured side by side in one run.
# Prints frames per second of each and their ratio (goal: ≥ 0.97 at ultrafast and veryfast), for
# Cofee's own compositor and, for comparison, with FFmpeg's `ass` filter (`--compositor ffmpeg`).
#
#   bench/render.sh [--runs N] [--presets "ultrafast veryfast"] [--style bold-pop] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=5 PRESETS="ultrafast veryfast" STYLE=bold-pop THREADS=0 SECS=45
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --presets) PRESETS=$2; shift 2 ;;
    --style) STYLE=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source bench/input.sh

FRAMES=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$IN")
THREAD_ARGS=(); COFEE_THREADS=()
if [ "$THREADS" != 0 ]; then THREAD_ARGS=(-threads "$THREADS"); COFEE_THREADS=(--threads "$THREADS"); fi

now() { date +%s.%N; }
timed() { local t0 t1; t0=$(now); "$@"; t1=$(now); python3 -c "print($t1-$t0)"; }

printf "input: %s (%s frames), style %s, %s interleaved runs each (best and median)\n" "$IN" "$FRAMES" "$STYLE" "$RUNS"
printf "%-10s %10s %10s %10s %8s %8s %8s\n" preset "ffmpeg" "cofee" "filter" "best" "median" "filter"
printf "%-10s %10s %10s %10s %8s %8s %8s\n" "" "fps" "fps" "fps" "ratio" "ratio" "ratio"
for P in $PRESETS; do
  plain() {
    ffmpeg -nostdin -v error -y -f mov -i "$IN" -map 0:v:0 -map 0:a:0 -c:a copy -c:v libx264 -preset "$P" -crf 20 \
      "${THREAD_ARGS[@]}" -pix_fmt yuv420p -movflags +faststart -f mp4 "$OUT/plain.mp4"
  }
  cofee() { # $1: compositor
    "$COFEE" caption "$IN" -o "$OUT/cofee-$1.mp4" --captions "$WORDS" --style "$STYLE" --preset "$P" --crf 20 \
      --compositor "$1" "${COFEE_THREADS[@]}" -q
  }
  # Runs alternate (plain, cofee, filter, plain, …) so all three see the same machine conditions;
  # on a shared machine the load drifts, and timing one side's runs first would bias the ratio.
  TP=(); TC=(); TF=()
  for _ in $(seq "$RUNS"); do
    TP+=("$(timed plain)"); TC+=("$(timed cofee native)"); TF+=("$(timed cofee ffmpeg)")
  done
  python3 - "$P" "$FRAMES" "${TP[*]}" "${TC[*]}" "${TF[*]}" <<'PY'
import statistics, sys
p, frames = sys.argv[1], int(sys.argv[2])
tp, tc, tf = ([float(x) for x in a.split()] for a in sys.argv[3:6])
fp, fc, ff = frames / min(tp), frames / min(tc), frames / min(tf)
median = statistics.median(a / b for a, b in zip(tp, tc))
print(f"{p:<10} {fp:10.1f} {fc:10.1f} {ff:10.1f} {fc / fp:8.3f} {median:8.3f} {ff / fp:8.3f}")
PY
done
