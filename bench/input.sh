# Sourced by the benchmarks: builds the release binary and makes the shared input.
#   COFEE  the release `cofee` (built here unless the caller set it)
#   OUT    bench/out
#   IN     a 1080×1920 30 fps H.264 clip of $SECS seconds with real speech (LibriVox clips from
#          pocketsphinx-testdata, looped) — the shape of the steering notes' reference clip
#   WORDS  its words, recognised once with sphinx from the clip itself, so timing is real
if [ -z "${COFEE:-}" ]; then
  cargo build --release -q -p cofee
  COFEE=$(realpath "${CARGO_TARGET_DIR:-target}/release/cofee")
fi
OUT=bench/out
mkdir -p "$OUT"
IN=$OUT/input-${SECS}s.mp4
if [ ! -f "$IN" ]; then
  ls /usr/share/pocketsphinx/test/data/librivox/*.wav | sed "s/^/file '/; s/$/'/" > "$OUT/speech.txt"
  ffmpeg -v error -y -f concat -safe 0 -i "$OUT/speech.txt" -c:a pcm_s16le "$OUT/speech.wav"
  ffmpeg -v error -y -f lavfi -i "testsrc2=s=1080x1920:r=30" -stream_loop -1 -i "$OUT/speech.wav" \
    -t "$SECS" -c:v libx264 -preset veryfast -crf 23 -c:a aac -b:a 128k -movflags +faststart "$IN"
fi
WORDS=$OUT/words-${SECS}s.json
[ -f "$WORDS" ] || "$COFEE" transcribe "$IN" --engine sphinx -o "$WORDS" -q
