"""`penworks discover modbus`: what a Modbus TCP device offers, as a draft.

In order: Read Device Identification (function 43/14) names the device when it supports
it; a SunSpec map gives named points with types, scale factors, units and Brick
suggestions; otherwise holding and input register ranges are probed in blocks (a block
the device refuses is halved until the registers that answer are found), and each
register that answers becomes a draft uint16 point named by its Modicon number
(hr_40001, ir_30001), for a person to name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from penworks.connectors.base import DiscoveredDevice, DiscoveredPoint, Discovery
from penworks.connectors.hints import local_id
from penworks.connectors.modbus.config import ModbusDeviceConfig
from penworks.connectors.modbus.observations import channel
from penworks.connectors.modbus.session import DeviceRefused, DeviceSession
from penworks.connectors.modbus.sunspec import (
    BASES,
    COMMON_MODEL,
    END_OF_MODELS,
    MARKER,
    MAX_MODELS,
    MODELS,
    SunSpecModel,
    common_label,
    model_points,
)
from penworks.core import ConfigError

MAX_READ = 125  # registers per request
ILLEGAL_FUNCTION = 1
_SINGLES_BELOW = 16  # a refused block this small is probed register by register
_IDENTITY_REGULAR, _IDENTITY_BASIC = 2, 1
_VENDOR, _PRODUCT_CODE, _PRODUCT_NAME, _MODEL_NAME = 0, 1, 4, 5


@dataclass(frozen=True, slots=True)
class ScanRange:
    """Registers to probe when a device has no SunSpec map: function 3 or 4, from `start`."""

    function: Literal[3, 4]
    start: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or self.start < 0 or self.start + self.count > 65536:
            raise ValueError(f"bad scan range {self.start}+{self.count}")


DEFAULT_RANGES: tuple[ScanRange, ...] = (ScanRange(3, 0, 1000), ScanRange(4, 0, 1000))


async def discover_modbus(
    target: str,
    *,
    unit_id: int = 1,
    timeout_s: float = 2.0,
    ranges: Sequence[ScanRange] = DEFAULT_RANGES,
    name: str | None = None,
) -> Discovery:
    """Describe the device at HOST:PORT (port 502 if left out) as a draft and a config.

    ConnectorError if the device cannot be reached or stops answering.
    """
    host, port = parse_target(target)
    config = ModbusDeviceConfig(
        name="discovery", host=host, port=port, unit_id=unit_id, timeout_s=timeout_s, retries=1
    )
    session = DeviceSession(config)
    try:
        device = await describe_device(session, name=name, ranges=ranges)
    finally:
        session.close()
    return Discovery(
        connector="modbus",
        devices=[device],
        connector_config={"type": "modbus", "name": "modbus", "devices": [device.config]},
    )


def parse_target(target: str) -> tuple[str, int]:
    """HOST:PORT, [IPv6]:PORT or HOST -> (host, port)."""
    host, sep, port = target.rpartition(":")
    if not sep or "]" in port:
        host, port = target, "502"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"modbus target {target!r}: expected HOST:PORT, e.g. 10.0.0.5:502")
    return host, int(port)


async def describe_device(
    session: DeviceSession, *, name: str | None, ranges: Sequence[ScanRange]
) -> DiscoveredDevice:
    """Everything discovery finds through one device session (holding its lock per request)."""
    reader = _Reader(session)
    identity = await reader.identity()
    models = await _sunspec_models(reader)
    sunspec_label = await _common_label(reader, models)
    label = identity or sunspec_label or f"Modbus device at {session.where}"
    device_name = name or local_id(label)
    points: list[DiscoveredPoint] = []
    brick = "Equipment"
    for model in models:
        if model.id in MODELS:
            data = await reader.registers(3, model.address, model.length)
            points += model_points(device_name, model, data)
            brick = MODELS[model.id][1] if brick == "Equipment" else brick
    if not models:
        for scan in ranges:
            points += await _probe(reader, device_name, scan)
    config = session.config
    entry: dict[str, Any] = {
        "name": device_name,
        "host": config.host,
        "port": config.port,
        "unit_id": config.unit_id,
    }
    return DiscoveredDevice(
        name=device_name,
        label=label,
        brick=brick,
        points=points,
        health_device=device_name,
        config=entry,
    )


class _Reader:
    """Requests for discovery: the session's lock around each, long reads split."""

    def __init__(self, session: DeviceSession) -> None:
        self._session = session

    async def registers(self, function: int, address: int, count: int) -> list[int]:
        values: list[int] = []
        for start in range(address, address + count, MAX_READ):
            size = min(MAX_READ, address + count - start)
            async with self._session.lock:
                await self._session.ensure_connected()
                values += await self._session.read_registers(function, start, size)
        return values

    async def identity(self) -> str:
        """Vendor, product code and model name, if the device answers function 43/14."""
        for read_code in (_IDENTITY_REGULAR, _IDENTITY_BASIC):
            try:
                async with self._session.lock:
                    await self._session.ensure_connected()
                    objects = await self._session.device_information(read_code)
            except DeviceRefused:
                continue
            words = [
                objects[i].decode("ascii", errors="replace").strip()
                for i in (_VENDOR, _PRODUCT_CODE, _MODEL_NAME, _PRODUCT_NAME)
                if i in objects
            ]
            unique = [w for i, w in enumerate(words) if w and w not in words[:i]]
            return " ".join(unique[:3])
        return ""


async def _sunspec_models(reader: _Reader) -> list[SunSpecModel]:
    """The models of the device's SunSpec map; none if it has no SunSpec marker."""
    for base in BASES:
        try:
            if tuple(await reader.registers(3, base, 2)) == MARKER:
                return await _walk(reader, base + 2)
        except DeviceRefused:
            continue
    return []


async def _walk(reader: _Reader, address: int) -> list[SunSpecModel]:
    models: list[SunSpecModel] = []
    while len(models) < MAX_MODELS and address + 2 <= 65536:
        try:
            model_id, length = await reader.registers(3, address, 2)
        except DeviceRefused:
            break  # a map without its end marker ends where the registers do
        if model_id == END_OF_MODELS:
            break
        models.append(SunSpecModel(model_id, address + 2, length))
        address += 2 + length
    return models


async def _common_label(reader: _Reader, models: list[SunSpecModel]) -> str:
    common = next((m for m in models if m.id == COMMON_MODEL), None)
    if common is None:
        return ""
    label, _serial = common_label(await reader.registers(3, common.address, common.length))
    return label


async def _probe(reader: _Reader, device: str, scan: ScanRange) -> list[DiscoveredPoint]:
    found: dict[int, int] = {}
    for start in range(scan.start, scan.start + scan.count, MAX_READ):
        size = min(MAX_READ, scan.start + scan.count - start)
        if not await _probe_block(reader, scan.function, start, size, found):
            break  # the device has no such function at all
    return [_register_point(device, scan.function, a, v) for a, v in sorted(found.items())]


async def _probe_block(
    reader: _Reader, function: int, start: int, count: int, found: dict[int, int]
) -> bool:
    """Collect what answers in a block, splitting refused ones; False on 'illegal function'.

    A refused block is halved while large (runs of registers are found in a few requests)
    and read register by register once small (an empty area costs one request a register,
    which is the least that finds a lone register in it).
    """
    try:
        values = await reader.registers(function, start, count)
    except DeviceRefused as exc:
        if exc.code == ILLEGAL_FUNCTION:
            return False
        if count == 1:
            return True
        if count <= _SINGLES_BELOW:
            parts = [(a, 1) for a in range(start, start + count)]
        else:
            half = count // 2
            parts = [(start, half), (start + half, count - half)]
        for part_start, part_count in parts:
            if not await _probe_block(reader, function, part_start, part_count, found):
                return False
        return True
    found.update(zip(range(start, start + count), values, strict=True))
    return True


def modicon(function: int, address: int) -> int:
    """The register's Modicon number: holding 0 -> 40001, input 0 -> 30001 (6 digits past 9999)."""
    prefix = 4 if function == 3 else 3
    return prefix * 10_000 + address + 1 if address < 9999 else prefix * 100_000 + address + 1


def _register_point(device: str, function: int, address: int, value: int) -> DiscoveredPoint:
    table = "hr" if function == 3 else "ir"
    number = modicon(function, address)
    kind = "holding" if function == 3 else "input"
    return DiscoveredPoint(
        connector="modbus",
        address=channel(device, function, address),
        name=f"{table}_{number}",
        kind="number",
        unit=None,
        suggested_brick=None,
        sample=value,
        extra={"modicon": str(number)},
        device=device,
        writable=False,
        description=f"{kind} register {address} ({number}) answered {value}",
        binding={"device": device, "function": function, "address": address, "type": "uint16"},
    )
