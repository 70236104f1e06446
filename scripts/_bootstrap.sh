# Sourced by the scripts in this folder: cd to the repo root and make sure a venv is installed
# and current. Creates it when missing; reinstalls when pyproject.toml or constraints.txt
# changed since the last install. Python: $PYTHON, else python3 (3.11 or newer).
# STEP1X_VENV (default .venv) and STEP1X_EXTRAS (default dev: every tool ./scripts/test runs)
# choose the venv and what goes in it; ./scripts/demo uses .venv-demo with only [all].
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/${STEP1X_VENV:-.venv}"
EXTRAS="${STEP1X_EXTRAS:-dev}"
STAMP="$VENV/.step1x-install-stamp"
want="$( (cat pyproject.toml constraints.txt; echo "$EXTRAS") | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "==> Installing .[$EXTRAS] into ${VENV#"$ROOT"/} (first run, or dependencies changed)" >&2
  "${PYTHON:-python3}" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
  [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
  log="$VENV/install.log"
  if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade "pip>=24" \
       && PIP_CONSTRAINT="$ROOT/constraints.txt" "$VENV/bin/python" -m pip install \
            --disable-pip-version-check -c constraints.txt -e ".[$EXTRAS]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "error: installing into ${VENV#"$ROOT"/} failed (full log: $log)" >&2
    exit 1
  fi
  echo "$want" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
