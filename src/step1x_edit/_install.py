"""How to install an extra, in words that work today (the package is not on PyPI yet)."""

from __future__ import annotations

__all__ = ["GIT_URL_PLACEHOLDER", "install_hint"]

# Where the repository is published; a placeholder until it has a public home.
GIT_URL_PLACEHOLDER = "git+https://<repository URL>"


def install_hint(extra: str) -> str:
    """The commands that install ``extra`` (from a clone, or straight from the git URL)."""
    return (
        f"pip install -e '.[{extra}]' in a clone of step1x-edit, "
        f"or pip install 'step1x-edit[{extra}] @ {GIT_URL_PLACEHOLDER}'"
    )
