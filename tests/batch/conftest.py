"""Fixtures of the batch tests: one fast sandbox served on loopback, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from batch_support import FAST_POLL, KEY

from step1x_edit import AsyncStep1XEdit, Step1XEdit
from step1x_edit.sandbox import SandboxConfig, SandboxServer, serve


@pytest.fixture(scope="session")
def batch_server() -> Iterator[SandboxServer]:
    with serve(SandboxConfig(api_key=KEY, created_seconds=0.002, processing_seconds=0.005)) as server:
        yield server


@pytest.fixture
def server(batch_server: SandboxServer) -> SandboxServer:
    batch_server.sandbox.reset()
    batch_server.sandbox.config.rate_limit = None
    batch_server.sandbox.config.rate_limit_window = 60.0
    return batch_server


@pytest.fixture
def client(server: SandboxServer) -> Iterator[Step1XEdit]:
    with Step1XEdit(api_key=KEY, base_url=server.base_url, poll=FAST_POLL) as c:
        yield c


@pytest.fixture
def async_client(server: SandboxServer) -> AsyncStep1XEdit:
    return AsyncStep1XEdit(api_key=KEY, base_url=server.base_url, poll=FAST_POLL)
