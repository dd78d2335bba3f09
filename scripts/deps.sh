#!/usr/bin/env bash
# Installs what Cofee needs to build, run and test (Debian/Ubuntu): FFmpeg with libass, CMU
# PocketSphinx with its English model and test recordings, fonts for CJK/Arabic/Hebrew
# fallback, and cmake + clang to build whisper.cpp. Idempotent: does nothing when everything is
# present.
set -euo pipefail

PACKAGES=(ffmpeg pocketsphinx pocketsphinx-en-us pocketsphinx-testdata fonts-noto-core fonts-noto-cjk cmake clang libclang-dev g++)

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
command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs) first" >&2; exit 1; }
