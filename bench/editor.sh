#!/usr/bin/env bash
# The editor's speed on a 1-minute and a 60-minute transcript (9,000 words), in Debian's
# Chromium: a typed character, a committed word edit, a timeline drag and a style change, each
# until the frame that shows it (median and p95 of many). Goals: 50 ms, 50 ms, 16 ms, 200 ms.
#
#   bench/editor.sh [--runs 30]        (COFEE_BIN=… to use another build of cofee)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--runs" ] && export RUNS=$2
(cd web && npm ci --no-audit --no-fund >/dev/null && npm run build >/dev/null)
if [ -z "${COFEE_BIN:-}" ]; then
  cargo build --release -q -p cofee # after the web build: the binary embeds web/dist
fi
node bench/editor.mjs
