"""Building blocks of a SunSpec register map (holding registers from 40000), as data.

A SunSpec device starts its map with the marker "SunS", then models, each a header (model
id, length) and its data, then the end marker 0xFFFF. Registers of a model that a device
does not implement still answer, with the "not implemented" value of their type, so a
reader can fetch a whole model in one request. Registers that only describe the map (the
marker, headers, name strings, scale factors, unimplemented ones) are named `sunspec_*`:
they never change and a reader uses them once, at discovery; they are not points a site
binds (`is_structure`).
"""

from __future__ import annotations

from collections.abc import Iterable

from penworks.core import PointKind
from penworks.sim.devices import ModbusRegister, ModbusType, PointSpec

BASE = 40000
MARKER = (0x5375, 0x6E53)  # "SunS"
END_OF_MODELS = 0xFFFF
NOT_IMPLEMENTED_UINT16 = 0xFFFF
NOT_IMPLEMENTED_INT16 = -0x8000
STRUCTURE_PREFIX = "sunspec_"
_WORDS: dict[ModbusType, int] = {"int32": 2, "uint32": 2, "float32": 2, "float64": 4}


def is_structure(key: str) -> bool:
    """Whether a point only describes the map (read once at discovery, never bound)."""
    return key.startswith(STRUCTURE_PREFIX)


def fixed(
    name: str, address: int, value: int, kind: ModbusType = "uint16", description: str = ""
) -> PointSpec:
    """A register that always holds the same value."""
    return PointSpec(
        STRUCTURE_PREFIX + name,
        PointKind.NUMBER,
        None,
        description or f"SunSpec {name}",
        default=value,
        modbus=ModbusRegister(3, address, kind),
    )


def text_words(text: str, registers: int) -> list[int]:
    """A SunSpec string: two ASCII characters a register, padded with NULs."""
    raw = text.encode("ascii")[: registers * 2].ljust(registers * 2, b"\x00")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def text(name: str, address: int, value: str, registers: int) -> list[PointSpec]:
    """A string field: one fixed register per two characters (sunspec_<name>_<i>)."""
    return [
        fixed(f"{name}_{i}", address + i, word, description=f"SunSpec {name} characters")
        for i, word in enumerate(text_words(value, registers))
    ]


def model(
    name: str, model_id: int, header: int, length: int, contents: Iterable[PointSpec]
) -> list[PointSpec]:
    """A model at `header`: its id and length, its contents, the rest not implemented."""
    data = header + 2
    points = [
        fixed(f"{name}_id", header, model_id, description=f"SunSpec model {model_id} id"),
        fixed(f"{name}_length", header + 1, length, description=f"SunSpec model {model_id} length"),
    ]
    taken: set[int] = set()
    for point in contents:
        if point.modbus is None:
            raise ValueError(f"SunSpec model {model_id}: {point.key} has no register")
        start = point.modbus.address
        words = _WORDS.get(point.modbus.type, 1)
        if not (data <= start and start + words <= data + length):
            raise ValueError(f"SunSpec model {model_id}: {point.key} lies outside the model")
        taken.update(range(start, start + words))
        points.append(point)
    points += [
        fixed(f"{name}_{address - data}", address, NOT_IMPLEMENTED_UINT16)
        for address in range(data, data + length)
        if address not in taken
    ]
    return points


def marker(address: int = BASE) -> list[PointSpec]:
    return [
        fixed("marker_0", address, MARKER[0], description="SunSpec marker 'Su'"),
        fixed("marker_1", address + 1, MARKER[1], description="SunSpec marker 'nS'"),
    ]


def end(address: int) -> list[PointSpec]:
    return [
        fixed("end_id", address, END_OF_MODELS, description="SunSpec end of models"),
        fixed("end_length", address + 1, 0, description="SunSpec end of models length"),
    ]
