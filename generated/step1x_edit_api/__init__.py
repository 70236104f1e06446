"""A client library for accessing WaveSpeedAI Step1X-Edit API"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
