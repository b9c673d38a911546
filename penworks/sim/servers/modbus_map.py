"""A product's Modbus register map: which point sits at which address of which table.

Built once from a DeviceType's `PointSpec.modbus` entries and checked the way a vendor's
register list would be reviewed: coils and discrete inputs are single bits, a bit of a
register names its bit, whole-register values do not overlap, texts have no register.
Points without `modbus` are not on the map (the device does not serve them over Modbus).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from penworks.core import PointKind
from penworks.sim.devices import DeviceType, ModbusRegister, PointSpec
from penworks.sim.servers.modbus_codec import WORDS

LAST_ADDRESS = 65535
BIT_TABLES = frozenset({1, 2})  # coils and discrete inputs: one bit per address
TABLE_NAMES = {1: "coils", 2: "discrete inputs", 3: "holding registers", 4: "input registers"}


@dataclass(frozen=True, slots=True)
class MappedPoint:
    """One point at its place in a table."""

    spec: PointSpec
    register: ModbusRegister

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def start(self) -> int:
        return self.register.address

    @property
    def end(self) -> int:
        """One past the last address (register or bit) it spans."""
        return self.register.address + WORDS[self.register.type]

    @property
    def in_register_bit(self) -> bool:
        """A bit of a holding or input register (shares its register with other bits)."""
        return self.register.function in (3, 4) and self.register.type == "bit"


class Table:
    """The points of one of the four tables, by address."""

    def __init__(self, function: int, points: list[MappedPoint]) -> None:
        self.function = function
        self.points = tuple(sorted(points, key=lambda p: (p.start, p.register.bit or 0)))
        self._at: dict[int, list[MappedPoint]] = {}
        for point in self.points:
            for address in range(point.start, point.end):
                self._at.setdefault(address, []).append(point)

    def at(self, address: int) -> list[MappedPoint]:
        """The points that occupy an address (several bits may share a register)."""
        return self._at.get(address, [])

    def mapped(self, address: int) -> bool:
        return address in self._at

    def runs(self) -> Iterator[tuple[int, int]]:
        """(start, count) of each run of occupied addresses, in order."""
        addresses = sorted(self._at)
        start = previous = addresses[0] if addresses else 0
        for address in addresses[1:]:
            if address != previous + 1:
                yield start, previous - start + 1
                start = address
            previous = address
        if addresses:
            yield start, previous - start + 1


class RegisterMap:
    """The four tables of a product; ValueError names the first thing wrong with its map."""

    def __init__(self, device_type: DeviceType) -> None:
        by_table: dict[int, list[MappedPoint]] = {1: [], 2: [], 3: [], 4: []}
        for spec in device_type.points:
            if spec.modbus is not None:
                _check(device_type.model, spec, spec.modbus)
                by_table[spec.modbus.function].append(MappedPoint(spec, spec.modbus))
        self.tables = {function: Table(function, points) for function, points in by_table.items()}
        for table in self.tables.values():
            _check_overlaps(device_type.model, table)

    def points(self) -> Iterator[MappedPoint]:
        for table in self.tables.values():
            yield from table.points


def _check(model: str, spec: PointSpec, register: ModbusRegister) -> None:
    where = f"{model}: point {spec.key} ({TABLE_NAMES[register.function]} {register.address})"
    if spec.kind is PointKind.TEXT:
        raise ValueError(f"{where}: a text point has no Modbus register")
    if register.function in BIT_TABLES and (register.type != "bit" or register.bit is not None):
        raise ValueError(f"{where}: coils and discrete inputs are single bits (type bit, no bit)")
    if register.type == "bit" and register.function in (3, 4):
        if register.bit is None or not 0 <= register.bit <= 15:
            raise ValueError(f"{where}: a bit of a register needs bit 0..15")
    elif register.bit is not None:
        raise ValueError(f"{where}: bit is only for type bit")
    if register.scale == 0.0:
        raise ValueError(f"{where}: scale 0 maps every value to nothing")
    if register.address < 0 or register.address + WORDS[register.type] - 1 > LAST_ADDRESS:
        raise ValueError(f"{where}: runs outside the addresses 0..{LAST_ADDRESS}")


def _check_overlaps(model: str, table: Table) -> None:
    for address in sorted({a for p in table.points for a in range(p.start, p.end)}):
        here = table.at(address)
        if len(here) < 2:
            continue
        bits = [p.register.bit for p in here if p.in_register_bit]
        if len(bits) != len(here) or len(set(bits)) != len(bits):
            keys = ", ".join(p.key for p in here)
            raise ValueError(f"{model}: {TABLE_NAMES[table.function]} {address} is taken by {keys}")
