#!/usr/bin/env bash
# The main job on the built-in defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
sdi=.venv/bin/danang-sdi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "database"
$sdi db up
$sdi db init
$sdi db status
