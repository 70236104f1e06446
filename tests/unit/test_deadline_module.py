"""The two timeouts have two names: ``request_timeout=`` on the constructor (each HTTP request),
``timeout=`` on every call (its overall deadline). The old constructor spelling still works and
warns; the deadline is made, kept and read in ``_deadline`` alone.

Mutations caught: dropping the DeprecationWarning, the old spelling no longer setting the
per-request timeout, accepting both spellings at once, a second clock outside _deadline.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import httpx
import pytest

from step1x_edit import AsyncStep1XEdit, InvalidParameterError, Step1XEdit

KEY, BASE = "k", "http://127.0.0.1:9"
SRC = Path(__file__).resolve().parents[2] / "src" / "step1x_edit"


@pytest.mark.parametrize("cls", [Step1XEdit, AsyncStep1XEdit])
def test_request_timeout_sets_the_per_request_limits(cls: type[Any]) -> None:
    client = cls(api_key=KEY, base_url=BASE, request_timeout=7.0)
    assert client.request_timeout.read == 7.0
    assert client._http.timeout.read == 7.0


@pytest.mark.parametrize("cls", [Step1XEdit, AsyncStep1XEdit])
def test_old_constructor_timeout_still_works_with_a_deprecation_warning(cls: type[Any]) -> None:
    with pytest.warns(DeprecationWarning, match="request_timeout=") as caught:
        client = cls(api_key=KEY, base_url=BASE, timeout=httpx.Timeout(8.0, connect=2.0))
    assert caught[0].filename == __file__  # points at the caller's line
    assert client.request_timeout.read == 8.0
    assert client._http.timeout.connect == 2.0
    assert client.timeout is client.request_timeout


def test_both_spellings_at_once_are_refused() -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"), pytest.raises(InvalidParameterError) as info:
        Step1XEdit(api_key=KEY, base_url=BASE, timeout=5.0, request_timeout=6.0)
    assert info.value.field == "timeout"


def test_the_clock_and_the_deadline_context_live_in_one_module() -> None:
    """No other hand-written client module reads time.monotonic or holds a ContextVar scope."""
    offenders = []
    for path in sorted(SRC.glob("_*.py")):
        # _deadline owns the clock; the CLI's modules (_cli_*, split out of cli.py) are a front that
        # times its own phases and status line, not part of the client.
        if path.name == "_deadline.py" or path.name.startswith("_cli_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "monotonic":
                offenders.append(f"{path.name}:{node.lineno} time.monotonic")
            if (
                isinstance(node, ast.Name)
                and node.id in ("CallScope", "current_scope")
                and path.name != "_transport.py"
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.id}")
    assert offenders == []
