#!/usr/bin/env bash
# Runs every test: installs the system packages they need, then the whole Cargo workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo test --workspace --locked --no-fail-fast "$@"
