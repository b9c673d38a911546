"""Helpers for the MQTT connector tests: bindings, and the helpers every connector test shares."""

from __future__ import annotations

from penworks.model.schema import MqttBinding
from tests.unit.connectors.support import (
    T0,
    FixedClock,
    eventually,
    next_message,
    point,
    take,
)

__all__ = ["T0", "FixedClock", "binding", "eventually", "next_message", "point", "take"]


def binding(topic: str, path: str = "$", **fields: object) -> MqttBinding:
    return MqttBinding(connector="mqtt", topic=topic, path=path, **fields)
