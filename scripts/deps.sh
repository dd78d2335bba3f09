#!/usr/bin/env bash
# Installs what Cofee needs to build, run and test (Debian/Ubuntu): FFmpeg with libass (and their
# development files, for the burn-in compositor that links libavcodec and libass), CMU
# PocketSphinx with its English model and test recordings, fonts for CJK/Arabic/Hebrew
# fallback, cmake + clang to build whisper.cpp, Node.js to build the web app and Chromium for
# its end-to-end test. Idempotent: does nothing when everything is
# present.
set -euo pipefail

PACKAGES=(ffmpeg libavcodec-dev libavformat-dev libavutil-dev libass-dev pkg-config pocketsphinx pocketsphinx-en-us pocketsphinx-testdata fonts-noto-core fonts-noto-cjk cmake clang libclang-dev g++ chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# A Redis server binary for the test that stops its own Redis (the machine's Redis, when there
# is one, is used as it is and never stopped).
if ! command -v redis-server >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs) first" >&2; exit 1; }

# An S3-compatible server for the object-storage tests: moto, from PyPI, in a virtualenv of its own.
VENV=${COFEE_VENV:-/var/tmp/cofee-venv}
if [ ! -x "$VENV/bin/moto_server" ]; then
  python3 -m venv "$VENV" 2>/dev/null || {
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null && python3 -m venv "$VENV"
  }
  "$VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.2.5'
fi

command -v npm >/dev/null || { echo "npm not found: install Node.js 20 or newer with npm" >&2; exit 1; }
# The web app is built with Vite and embedded in the binary, so it is built before cargo runs.
(cd "$(dirname "$0")/../web" && npm ci --no-fund --no-audit --loglevel=error && npm run build --silent)
