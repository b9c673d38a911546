"""The connector's points, prepared once: node ids parsed, servers checked, readers ready.

Each point becomes a PointEntry; turning a received value into the point's value is one
method call on it (kind, scale and offset are known up front).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from asyncua import ua

from penworks.bus import observation_subject
from penworks.connectors.opcua.config import OpcuaConnectorConfig
from penworks.connectors.opcua.uanames import UaStringParsingError
from penworks.core import ConfigError, PayloadError, Point, PointKind, Value, coerce_value
from penworks.model.schema import OpcuaBinding


@dataclass(frozen=True, slots=True)
class PointEntry:
    """One bound point: where it lives on which server, and how its values are read."""

    point: Point
    binding: OpcuaBinding
    node: ua.NodeId
    channel: str  # server and node, as dead letters and health details name them
    handle: int  # the monitored item's client handle: unique within the connector
    subject: str = field(init=False)  # where its observations go
    scaled: bool = field(init=False)  # whether numbers are scaled or offset

    def __post_init__(self) -> None:
        object.__setattr__(self, "subject", observation_subject(self.point.id))
        scaled = self.point.kind is PointKind.NUMBER and (
            self.binding.scale != 1.0 or self.binding.offset != 0.0
        )
        object.__setattr__(self, "scaled", scaled)

    @property
    def server(self) -> str:
        return self.binding.server

    def convert(self, raw: object) -> Value:
        """The point's value for a value the server sent; PayloadError saying why not."""
        try:
            value = coerce_value(self.point.kind, raw)
        except PayloadError:
            if isinstance(raw, list | tuple):
                raise PayloadError(f"expected one value, got an array of {len(raw)}") from None
            raise
        if self.scaled:
            assert isinstance(value, int | float)
            return value * self.binding.scale + self.binding.offset
        return value


def build_entries(
    config: OpcuaConnectorConfig, points: Sequence[tuple[Point, OpcuaBinding]]
) -> list[PointEntry]:
    """PointEntries for the bound points; ConfigError for an unknown server or a bad node id."""
    known = [s.name for s in config.servers]
    entries = []
    for handle, (point, binding) in enumerate(points, start=1):
        if binding.server not in known:
            raise ConfigError(
                f"point {point.id}: server {binding.server!r} is not a server of opcua "
                f"connector {config.name!r} (known: {', '.join(known)})"
            )
        try:
            node = ua.NodeId.from_string(binding.node)
        except (UaStringParsingError, ValueError) as exc:
            raise ConfigError(f"point {point.id}: bad node id {binding.node!r}: {exc}") from None
        channel = f"{binding.server}/{binding.node}"
        entries.append(PointEntry(point, binding, node, channel, handle))
    return entries
