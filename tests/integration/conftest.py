"""Fixtures shared by the integration tests."""

from tests.integration.receivers import smtp_server

__all__ = ["smtp_server"]
