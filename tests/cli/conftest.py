"""Fixtures for the CLI tests (defined in cli_support.py, shared with the test module)."""

from cli_support import fast, run, slow

__all__ = ["fast", "run", "slow"]
