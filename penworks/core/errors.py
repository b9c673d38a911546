"""The project's exception hierarchy: every error Penworks raises on purpose is a PenworksError."""

from __future__ import annotations


class PenworksError(Exception):
    """Base of every error Penworks raises on purpose."""


class ConfigError(PenworksError):
    """A config or site file is invalid; the message names the file, the place and the fix."""


class ModelError(PenworksError):
    """The building model cannot be read or does not hold together."""


class UnknownPointError(PenworksError, KeyError):
    """A point id that the building model does not know."""

    def __init__(self, point_id: str) -> None:
        super().__init__(point_id)
        self.point_id = point_id

    def __str__(self) -> str:
        return f"unknown point {self.point_id!r}"


class PayloadError(PenworksError, ValueError):
    """Device data that cannot be turned into an observation (malformed, wrong kind, ...)."""


class CommandRejected(PenworksError):
    """A command refused before it reached the device; the message says why."""


class BusError(PenworksError):
    """The message bus failed or was used wrongly."""


class StoreError(PenworksError):
    """The history store failed or was used wrongly."""


class InvalidObservation(StoreError):
    """One observation of a batch cannot be stored; nothing of the batch was written."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


class ConnectorError(PenworksError):
    """A connector could not talk to its devices."""
