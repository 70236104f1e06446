# Sourced by the scripts in this folder: cd to the repo root and make sure .venv is installed
# and current. Creates .venv when missing; reinstalls when pyproject.toml or constraints.txt
# changed since the last install. Python: $PYTHON, else python3 (3.11 or newer).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMP="$VENV/.step1x-install-stamp"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "==> Installing into .venv (first run, or dependencies changed)" >&2
  "${PYTHON:-python3}" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
  [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
  log="$VENV/install.log"
  if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade "pip>=24" \
       && PIP_CONSTRAINT="$ROOT/constraints.txt" "$VENV/bin/python" -m pip install \
            --disable-pip-version-check -c constraints.txt -e ".[dev]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "error: installing into .venv failed (full log: $log)" >&2
    exit 1
  fi
  echo "$want" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
