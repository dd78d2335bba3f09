#!/usr/bin/env bash
# Render cost in CPU instructions: `cofee caption --captions …` (with every child process it
# starts: the compositor, and ffprobe where one runs) against a plain FFmpeg re-encode of the same clip with the same
# x264 preset and CRF, both counted by valgrind's callgrind in one run.
#
# Instruction counts do not drift with the load of a shared machine the way seconds do (the same
# binary and input give the same count), so this shows small changes that `render.sh` cannot
# tell from noise. They are not time: cache misses, page faults and idle cores do not show.
#
#   bench/instructions.sh [--seconds 6] [--preset ultrafast] [--style bold-pop]
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=6 PRESET=ultrafast STYLE=bold-pop
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECS=$2; shift 2 ;;
    --preset) PRESET=$2; shift 2 ;;
    --style) STYLE=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }

source bench/input.sh

# Sums the instructions of every process callgrind wrote a file for (`--trace-children`).
count() { # $1: name, rest: command
  local name=$1; shift
  rm -rf "$OUT/callgrind-$name"; mkdir -p "$OUT/callgrind-$name"
  valgrind -q --tool=callgrind --trace-children=yes --callgrind-out-file="$OUT/callgrind-$name/out.%p" "$@" >/dev/null 2>&1
  cat "$OUT/callgrind-$name"/out.* | awk '/^(summary|totals):/ { if ($1 == "totals:") t += $2; else s += $2 } END { print (t ? t : s) }'
}

plain=$(count plain ffmpeg -nostdin -v error -y -f mov -i "$IN" -map 0:v:0 -map 0:a:0 -c:a copy -c:v libx264 -preset "$PRESET" \
  -crf 20 -pix_fmt yuv420p -movflags +faststart -f mp4 "$OUT/plain.mp4")
cofee=$(count cofee "$COFEE" caption "$IN" -o "$OUT/cofee-native.mp4" --captions "$WORDS" --style "$STYLE" --preset "$PRESET" \
  --crf 20 --compositor native -q)
python3 - "$PRESET" "$STYLE" "$SECS" "$plain" "$cofee" <<'PY'
import sys
preset, style, secs, plain, cofee = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
print(f"{secs} s clip, {preset}, style {style}: plain re-encode {plain / 1e9:.2f} G instructions, "
      f"cofee caption (all processes) {cofee / 1e9:.2f} G: ratio {plain / cofee:.3f} (cofee costs {100 * (cofee / plain - 1):+.1f} %)")
PY
