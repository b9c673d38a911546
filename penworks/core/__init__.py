"""Domain types, the Clock and the exception hierarchy. Imports nothing else of Penworks."""

from penworks.core.clock import Clock, RealClock, SimClock
from penworks.core.errors import (
    BusError,
    CommandRejected,
    ConfigError,
    ConnectorError,
    InvalidObservation,
    ModelError,
    PayloadError,
    PenworksError,
    StoreError,
    UnknownPointError,
)
from penworks.core.types import (
    Command,
    DeadLetter,
    Observation,
    Point,
    PointKind,
    Quality,
    Value,
    coerce_value,
    utc,
)

__all__ = [
    "BusError",
    "Clock",
    "Command",
    "CommandRejected",
    "ConfigError",
    "ConnectorError",
    "DeadLetter",
    "InvalidObservation",
    "ModelError",
    "Observation",
    "Point",
    "PayloadError",
    "PenworksError",
    "PointKind",
    "Quality",
    "RealClock",
    "SimClock",
    "StoreError",
    "UnknownPointError",
    "Value",
    "coerce_value",
    "utc",
]
