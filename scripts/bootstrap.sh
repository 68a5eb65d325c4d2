#!/usr/bin/env bash
# Set up everything the toolkit needs on a fresh Debian/Ubuntu machine: Debian packages (as root),
# a Python >= 3.12 virtual environment in .venv with the package installed. Idempotent.
#   scripts/bootstrap.sh          what the toolkit needs (make setup, make demo)
#   scripts/bootstrap.sh --test   also the real clients the test suite drives (make test)
set -euo pipefail
cd "$(dirname "$0")/.."
lists=(scripts/debian-packages.txt)
[[ "${1:-}" == "--test" ]] && lists+=(scripts/debian-packages-test.txt)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# 1. Debian packages (only what is missing; only root may install).
missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < <(cat "${lists[@]}")
if (( ${#missing[@]} )); then
  if [[ $(id -u) -eq 0 ]]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing Debian packages: ${missing[*]} — run: sudo apt-get install -y ${missing[*]}"
  fi
fi

# 2. Python >= 3.12: PATH first, then pyenv's versions, then (root, Ubuntu) apt.
find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3 "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python /root/.pyenv/versions/3.1[2-9]*/bin/python; do
    if command -v "$candidate" >/dev/null 2>&1 || [[ -x "$candidate" ]]; then
      if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        command -v "$candidate" 2>/dev/null || echo "$candidate"
        return 0
      fi
    fi
  done
  return 1
}
if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  python=$(find_python) || {
    if [[ $(id -u) -eq 0 ]] && apt-cache show python3.12-venv >/dev/null 2>&1; then
      apt-get install -y -qq python3.12 python3.12-venv >/dev/null && python=$(command -v python3.12)
    fi
    [[ -n "${python:-}" ]] || die "no Python >= 3.12 found (tried python3.13, python3.12, python3, pyenv); install one"
  }
  say "creating .venv with $("$python" --version) ($python)"
  rm -rf .venv
  "$python" -m venv .venv
fi

# 3. The package and its test tools, re-installed only when pyproject.toml changed.
if [[ ! -f .venv/.installed || pyproject.toml -nt .venv/.installed ]]; then
  say "installing danang-sdi and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[test]"
  touch .venv/.installed
fi
# 4. MapLibre GL JS for the map viewer (/map/), pinned, from the npm registry into .sdi/npm (the server finds it).
maplibre=5.24.1
if ! grep -qs "\"version\": \"$maplibre\"" .sdi/npm/node_modules/maplibre-gl/package.json; then
  if command -v npm >/dev/null 2>&1; then
    say "installing maplibre-gl $maplibre (npm) into .sdi/npm for the map viewer"
    npm install --prefix .sdi/npm --no-save --no-audit --no-fund --loglevel=error "maplibre-gl@$maplibre" >/dev/null
  else
    say "npm not found: skipped maplibre-gl; the map viewer (/map/) needs it (install npm, run this again)"
  fi
fi
say "ready: $(.venv/bin/danang-sdi --version)"
