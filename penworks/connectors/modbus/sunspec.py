"""SunSpec register maps: find the models a device offers, and name their points.

A SunSpec device marks its map with "SunS" (0x5375 0x6e53) at holding register 40000,
50000 or 0, followed by models, each a header (model id, length in registers) and its
data, up to the end marker 0xFFFF. The common model (1) names the device; the inverter
(101-103) and meter (201-204) models of the integer + scale factor kind give points here.
A scale factor register holds a power of ten; it is read once, at discovery, and becomes
the binding's scale (with W -> kW and Wh -> kWh folded in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from penworks.connectors.base import DiscoveredPoint
from penworks.connectors.hints import suggest_brick
from penworks.connectors.modbus.codec import CodecError, decode, scaled
from penworks.connectors.modbus.observations import channel
from penworks.model.schema import ModbusBinding, ModbusType

MARKER = (0x5375, 0x6E53)  # "SunS"
BASES = (40000, 50000, 0)
END_OF_MODELS = 0xFFFF
COMMON_MODEL = 1
MAX_MODELS = 64

# Values meaning "not implemented", as SunSpec devices fill registers they do not offer.
_UNIMPLEMENTED: dict[str, int] = {"int16": 0x8000, "uint16": 0xFFFF, "uint32": 0xFFFFFFFF}
_SF_UNIMPLEMENTED = 0x8000


@dataclass(frozen=True, slots=True)
class SunSpecField:
    """One point of a model: where it is in the model's data, and what it means."""

    offset: int  # registers after the model header
    name: str  # local id of the draft point
    label: str  # SunSpec point id, e.g. W
    description: str
    type: ModbusType
    sf: int | None  # offset of its scale factor register, if any
    unit: str | None
    power: int = 0  # extra power of ten: -3 turns W into kW


@dataclass(frozen=True, slots=True)
class SunSpecModel:
    """A model found in a device's map: its id, where its data starts, how long it is."""

    id: int
    address: int
    length: int


def _phases(
    offset: int,
    name: str,
    label: str,
    description: str,
    kind: ModbusType,
    sf: int,
    unit: str | None,
    power: int = 0,
    *,
    step: int = 1,
    suffixes: Sequence[str] = ("a", "b", "c"),
) -> tuple[SunSpecField, ...]:
    return tuple(
        SunSpecField(
            offset + i * step,
            f"{name}_phase_{s}",
            f"{label}Ph{s.upper()}" if kind == "uint32" else f"{label}ph{s.upper()}",
            f"{description} phase {s.upper()}",
            kind,
            sf,
            unit,
            power,
        )
        for i, s in enumerate(suffixes)
    )


INVERTER_FIELDS: tuple[SunSpecField, ...] = (
    SunSpecField(0, "ac_current", "A", "AC current", "uint16", 4, "A"),
    *_phases(1, "ac_current", "A", "AC current", "uint16", 4, "A"),
    SunSpecField(5, "ac_voltage_ab", "PPVphAB", "AC voltage AB", "uint16", 11, "V"),
    SunSpecField(6, "ac_voltage_bc", "PPVphBC", "AC voltage BC", "uint16", 11, "V"),
    SunSpecField(7, "ac_voltage_ca", "PPVphCA", "AC voltage CA", "uint16", 11, "V"),
    SunSpecField(8, "ac_voltage_an", "PhVphA", "AC voltage AN", "uint16", 11, "V"),
    SunSpecField(9, "ac_voltage_bn", "PhVphB", "AC voltage BN", "uint16", 11, "V"),
    SunSpecField(10, "ac_voltage_cn", "PhVphC", "AC voltage CN", "uint16", 11, "V"),
    SunSpecField(12, "ac_power", "W", "AC power", "int16", 13, "kW", -3),
    SunSpecField(14, "ac_frequency", "Hz", "AC frequency", "uint16", 15, "Hz"),
    SunSpecField(16, "ac_apparent_power", "VA", "AC apparent power", "int16", 17, "kVA", -3),
    SunSpecField(18, "ac_reactive_power", "VAr", "AC reactive power", "int16", 19, "kvar", -3),
    SunSpecField(20, "ac_power_factor", "PF", "AC power factor", "int16", 21, "%"),
    SunSpecField(22, "ac_energy", "WH", "AC energy", "uint32", 24, "kWh", -3),
    SunSpecField(25, "dc_current", "DCA", "DC current", "uint16", 26, "A"),
    SunSpecField(27, "dc_voltage", "DCV", "DC voltage", "uint16", 28, "V"),
    SunSpecField(29, "dc_power", "DCW", "DC power", "int16", 30, "kW", -3),
    SunSpecField(31, "cabinet_temperature", "TmpCab", "Cabinet temperature", "int16", 35, "degC"),
    SunSpecField(
        32, "heat_sink_temperature", "TmpSnk", "Heat sink temperature", "int16", 35, "degC"
    ),
    SunSpecField(
        33, "transformer_temperature", "TmpTrns", "Transformer temperature", "int16", 35, "degC"
    ),
    SunSpecField(34, "other_temperature", "TmpOt", "Other temperature", "int16", 35, "degC"),
    SunSpecField(36, "operating_state", "St", "Operating state", "uint16", None, None),
    SunSpecField(38, "event_flags", "Evt1", "Event flags", "uint32", None, None),
)

METER_FIELDS: tuple[SunSpecField, ...] = (
    SunSpecField(0, "ac_current", "A", "AC current", "int16", 4, "A"),
    *_phases(1, "ac_current", "A", "AC current", "int16", 4, "A"),
    SunSpecField(5, "ac_voltage_ln", "PhV", "AC voltage line to neutral", "int16", 13, "V"),
    SunSpecField(6, "ac_voltage_an", "PhVphA", "AC voltage AN", "int16", 13, "V"),
    SunSpecField(7, "ac_voltage_bn", "PhVphB", "AC voltage BN", "int16", 13, "V"),
    SunSpecField(8, "ac_voltage_cn", "PhVphC", "AC voltage CN", "int16", 13, "V"),
    SunSpecField(9, "ac_voltage_ll", "PPV", "AC voltage line to line", "int16", 13, "V"),
    SunSpecField(10, "ac_voltage_ab", "PPVphAB", "AC voltage AB", "int16", 13, "V"),
    SunSpecField(11, "ac_voltage_bc", "PPVphBC", "AC voltage BC", "int16", 13, "V"),
    SunSpecField(12, "ac_voltage_ca", "PPVphCA", "AC voltage CA", "int16", 13, "V"),
    SunSpecField(14, "ac_frequency", "Hz", "AC frequency", "int16", 15, "Hz"),
    SunSpecField(16, "ac_power", "W", "AC power", "int16", 20, "kW", -3),
    *_phases(17, "ac_power", "W", "AC power", "int16", 20, "kW", -3),
    SunSpecField(21, "ac_apparent_power", "VA", "AC apparent power", "int16", 25, "kVA", -3),
    *_phases(22, "ac_apparent_power", "VA", "AC apparent power", "int16", 25, "kVA", -3),
    SunSpecField(26, "ac_reactive_power", "VAR", "AC reactive power", "int16", 30, "kvar", -3),
    *_phases(27, "ac_reactive_power", "VAR", "AC reactive power", "int16", 30, "kvar", -3),
    SunSpecField(31, "ac_power_factor", "PF", "AC power factor", "int16", 35, "%"),
    *_phases(32, "ac_power_factor", "PF", "AC power factor", "int16", 35, "%"),
    SunSpecField(36, "energy_exported", "TotWhExp", "Energy exported", "uint32", 52, "kWh", -3),
    *_phases(38, "energy_exported", "TotWhExp", "Energy exported", "uint32", 52, "kWh", -3, step=2),
    SunSpecField(44, "energy_imported", "TotWhImp", "Energy imported", "uint32", 52, "kWh", -3),
    *_phases(46, "energy_imported", "TotWhImp", "Energy imported", "uint32", 52, "kWh", -3, step=2),
)

# model id -> (what it is, Brick class of the equipment, its fields)
MODELS: dict[int, tuple[str, str, tuple[SunSpecField, ...]]] = {
    101: ("single phase inverter", "Inverter", INVERTER_FIELDS),
    102: ("split phase inverter", "Inverter", INVERTER_FIELDS),
    103: ("three phase inverter", "Inverter", INVERTER_FIELDS),
    201: ("single phase meter", "Electrical_Meter", METER_FIELDS),
    202: ("split phase meter", "Electrical_Meter", METER_FIELDS),
    203: ("wye three phase meter", "Electrical_Meter", METER_FIELDS),
    204: ("delta three phase meter", "Electrical_Meter", METER_FIELDS),
}


def text(registers: Sequence[int]) -> str:
    """A SunSpec string: two characters per register, padded with NULs or spaces."""
    raw = b"".join(r.to_bytes(2, "big") for r in registers)
    return raw.split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()


def common_label(data: Sequence[int]) -> tuple[str, str]:
    """(manufacturer and model, serial number) from the common model's data."""
    maker, model, serial = text(data[0:16]), text(data[16:32]), text(data[48:64])
    return " ".join(p for p in (maker, model) if p), serial


def scale_factor(register: int) -> int | None:
    """A sunssf register as a power of ten (-10..10), None when not implemented."""
    if register == _SF_UNIMPLEMENTED:
        return None
    value = register - 0x10000 if register >= 0x8000 else register
    return value if -10 <= value <= 10 else None


def model_points(device: str, model: SunSpecModel, data: Sequence[int]) -> list[DiscoveredPoint]:
    """The draft points of one inverter or meter model, from its data read once."""
    what, _, fields = MODELS[model.id]
    found = []
    for field in fields:
        point = _point(device, model, what, field, data)
        if point is not None:
            found.append(point)
    return found


def _point(
    device: str, model: SunSpecModel, what: str, field: SunSpecField, data: Sequence[int]
) -> DiscoveredPoint | None:
    count = 2 if field.type == "uint32" else 1
    registers = list(data[field.offset : field.offset + count])
    if len(registers) < count:
        return None  # the device's model is shorter than the standard one
    if _combined(registers) == _UNIMPLEMENTED[field.type]:
        return None
    power = field.power
    if field.sf is not None:
        if field.sf >= len(data) or (sf := scale_factor(data[field.sf])) is None:
            return None
        power += sf
    binding: dict[str, object] = {
        "device": device,
        "function": 3,
        "address": model.address + field.offset,
        "type": field.type,
    }
    if power:
        binding["scale"] = 10.0**power
    parsed = ModbusBinding.model_validate({"connector": "modbus", **binding})
    try:
        sample = scaled(parsed, decode(parsed, registers))
    except CodecError:
        sample = None
    return DiscoveredPoint(
        connector="modbus",
        address=channel(device, 3, parsed.address),
        name=field.name,
        kind="number",
        unit=field.unit,
        suggested_brick=suggest_brick(field.name, field.unit, description=field.description),
        sample=sample,
        extra={"sunspec_model": str(model.id), "sunspec_point": field.label},
        device=device,
        writable=False,
        description=f"{field.description} (SunSpec {what}, model {model.id}, {field.label})",
        binding=binding,
    )


def _combined(registers: Sequence[int]) -> int:
    value = 0
    for register in registers:
        value = (value << 16) | register
    return value
