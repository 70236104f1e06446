"""Shared pytest configuration: hypothesis profiles and the --live switch.

Network: pyproject's addopts pass --allow-hosts=127.0.0.1,::1 (pytest-socket), so any
connection beyond loopback fails before a packet is sent. Live tests re-enable nothing;
they run only with --live and WAVESPEED_API_KEY (see contracts/README.md).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# CI: deterministic and bounded (derandomize, no example database). Selected by scripts/test.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
# Local exploration: random, more examples, keeps its database.
settings.register_profile("dev", max_examples=100, deadline=None)
# Nightly / before a release: many more examples, still derandomized so failures reproduce.
settings.register_profile("deep", derandomize=True, database=None, deadline=None, max_examples=5000)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live",
        action="store_true",
        default=False,
        help="also run tests marked 'live' against the real WaveSpeed API (needs WAVESPEED_API_KEY)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live") and os.environ.get("WAVESPEED_API_KEY"):
        return
    reason = (
        "live API tests need WAVESPEED_API_KEY"
        if config.getoption("--live")
        else "live API tests run only with --live (and WAVESPEED_API_KEY)"
    )
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
