"""Typed client for WaveSpeedAI's Step1X-Edit image-editing API."""

from ._spec_data import SPEC_VERSION

__version__ = "0.1.0"

__all__ = ["SPEC_VERSION", "__version__"]
