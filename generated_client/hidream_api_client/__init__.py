"""A client library for accessing HiDream Image Upscaler API"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
