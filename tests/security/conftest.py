"""Fixtures for the security regressions: the unit tests' fake API and fake clock, plus a
raw loopback HTTP server that misbehaves on purpose (trickling bodies, stalls)."""

from __future__ import annotations

from unit.conftest import FakeAPI, FakeClock, anyio_backend, api, client, clock

__all__ = ["FakeAPI", "FakeClock", "anyio_backend", "api", "client", "clock"]
