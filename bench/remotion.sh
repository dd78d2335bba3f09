#!/usr/bin/env bash
# Render speed and memory against the seed's render service's method: React in headless
# Chromium, a screenshot a frame, FFmpeg encoding (what Remotion does). Remotion itself is not
# used: its licence is not open source (a company past three people needs a paid one), so the
# other side is the same method in plain React (`bench/remotion/`: React 19, Debian's Chromium
# through playwright-core, esbuild), without Remotion's own overheads — a kinder baseline than
# Remotion. Both render TikTok-style captions (pages of three words, the active word in another
# colour and scaled up, bold uppercase outlined text; Cofee's `bold-pop` preset) from the same
# words over the same 1080×1920 30 fps clip with speech, with the same x264 preset and CRF,
# copying the audio, interleaved. Memory is the peak of each side's whole process tree
# (browser, renderer, GPU process, FFmpeg; `cofee` and its compositor), sampled every 50 ms.
#
# Usage: bench/remotion.sh [PATH_TO_COFEE] [--seconds 10] [--runs 2] [--preset veryfast] [--crf 20]
# Ends with: cofee_fps, browser_fps, fps_ratio (Cofee / browser; goal ≥ 13), cofee_peak_mb,
# browser_peak_mb, memory_ratio (Cofee / browser; goal ≤ 1/8).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=10 RUNS=2 PRESET=veryfast CRF=20
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --preset) PRESET=$2; shift 2 ;;
    --crf) CRF=$2; shift 2 ;;
    *) COFEE=$(realpath "$1"); shift ;;
  esac
done
source bench/input.sh
command -v chromium >/dev/null || {
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
}
lock=$(sha256sum bench/remotion/package-lock.json | cut -d' ' -f1)
if [ "$(cat bench/remotion/node_modules/.lock-sha 2>/dev/null)" != "$lock" ]; then
  (cd bench/remotion && npm ci --no-fund --no-audit --loglevel=error)
  echo "$lock" > bench/remotion/node_modules/.lock-sha
fi
FRAMES=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$IN")

# Runs "$@", printing "SECONDS PEAK_MB".
measure() {
  local t0 t1 peak
  t0=$(date +%s.%N)
  peak=$(python3 bench/remotion/peak_rss.py "$@" 2>&1 >/dev/null | sed -n 's/^peak_rss_mb=//p')
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v p="$peak" 'BEGIN {printf "%.3f %s\n", b - a, p}'
}
cofee_side() {
  measure "$COFEE" caption "$IN" -o "$OUT/remotion-cofee.mp4" --captions "$WORDS" --style bold-pop \
    --preset "$PRESET" --crf "$CRF" -q
}
browser_side() {
  measure node bench/remotion/render.mjs "$IN" "$WORDS" "$OUT/remotion-browser.mp4" "$PRESET" "$CRF"
}
echo "input: $IN ($FRAMES frames), x264 $PRESET CRF $CRF, $RUNS interleaved runs each"
cofee_best=999999 browser_best=999999 cofee_peak=0 browser_peak=0
for run in $(seq "$RUNS"); do
  read -r ct cp < <(cofee_side)
  read -r bt bp < <(browser_side)
  echo "run $run: cofee ${ct} s, peak ${cp} MB; browser ${bt} s, peak ${bp} MB"
  cofee_best=$(awk -v a="$cofee_best" -v b="$ct" 'BEGIN {print (b < a) ? b : a}')
  browser_best=$(awk -v a="$browser_best" -v b="$bt" 'BEGIN {print (b < a) ? b : a}')
  cofee_peak=$(awk -v a="$cofee_peak" -v b="$cp" 'BEGIN {print (b > a) ? b : a}')
  browser_peak=$(awk -v a="$browser_peak" -v b="$bp" 'BEGIN {print (b > a) ? b : a}')
done
for f in "$OUT/remotion-cofee.mp4" "$OUT/remotion-browser.mp4"; do
  n=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$f")
  [ "$n" = "$FRAMES" ] || { echo "$f has $n frames, the input $FRAMES" >&2; exit 1; }
done
awk -v f="$FRAMES" -v ct="$cofee_best" -v bt="$browser_best" -v cp="$cofee_peak" -v bp="$browser_peak" \
  -v secs="$SECS" -v preset="$PRESET" 'BEGIN {
  printf "summary: seconds=%d preset=%s cofee_fps=%.1f browser_fps=%.2f fps_ratio=%.2f cofee_peak_mb=%.0f browser_peak_mb=%.0f memory_ratio=%.3f\n",
    secs, preset, f / ct, f / bt, (f / ct) / (f / bt), cp, bp, cp / bp }'
