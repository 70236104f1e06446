"""Fixtures for the sandbox tests: served sandboxes on loopback and a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from sandbox_support import FakeClock

from step1x_edit.sandbox import SandboxConfig, SandboxServer, serve


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_server() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with the given SandboxConfig fields; all stop at teardown."""
    stack: list[object] = []

    def start(**fields: object) -> SandboxServer:
        fields.setdefault("created_seconds", 0.0)
        fields.setdefault("processing_seconds", 0.0)
        context = serve(SandboxConfig(**fields))  # type: ignore[arg-type]
        server = context.__enter__()
        stack.append(context)
        return server

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def shared_server() -> Iterator[SandboxServer]:
    with serve(SandboxConfig(created_seconds=0.0, processing_seconds=0.0)) as server:
        yield server


@pytest.fixture
def server(shared_server: SandboxServer) -> SandboxServer:
    """The default sandbox (instant lifecycle), reset before each test."""
    shared_server.sandbox.reset()
    return shared_server


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as client:
        yield client
