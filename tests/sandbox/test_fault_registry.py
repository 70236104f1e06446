"""Sandbox faults as data: the registry is the one list the Fault validation (and so the control
route), the CLI's --list-faults and the README's table are read from.

Mutations caught: a README table edited by hand or left behind a new action; an action in the
Literal but not in the registry (import fails); the control route accepting an unknown action.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import get_args

import httpx
import pytest

from step1x_edit.sandbox import (
    ACTIONS,
    FAULT_ACTIONS,
    INVALID_RESPONSE_ACTIONS,
    FaultAction,
    SandboxServer,
    fault_table,
)
from step1x_edit.sandbox._config import Fault

ROOT = Path(__file__).resolve().parents[2]


def test_every_action_is_registered_with_a_doc_line() -> None:
    assert ACTIONS == tuple(FAULT_ACTIONS) == get_args(FaultAction)
    for action in FAULT_ACTIONS.values():
        assert action.doc
        assert "\n" not in action.doc
    assert {n for n, a in FAULT_ACTIONS.items() if a.breaks_contract} == INVALID_RESPONSE_ACTIONS


def test_readme_fault_table_is_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- fault-table: start -->\n", 1)[1].split("\n<!-- fault-table: end -->", 1)[0]
    assert shown == fault_table()
    for name in FAULT_ACTIONS:
        assert f"| `{name}` |" in shown


def test_cli_lists_the_registry() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "step1x_edit", "sandbox", "--list-faults"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == fault_table()


def test_unknown_action_is_refused_naming_the_registry(server: SandboxServer, api: httpx.Client) -> None:
    with pytest.raises(ValueError, match="unknown fault action 'explode'") as info:
        Fault.parse("submit:explode")
    for name in FAULT_ACTIONS:
        assert name in str(info.value)
    answer = api.post("/_sandbox/faults", json={"route": "submit", "action": "explode"})
    assert answer.status_code == 400
    for name in FAULT_ACTIONS:
        assert name in answer.text  # the allowed actions, read from the registry
    assert server.sandbox.faults == []
