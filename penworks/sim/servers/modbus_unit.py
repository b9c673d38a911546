"""One SimDevice behind the gateway, at its unit id: its register image and its answers.

The unit keeps its own image of the four tables (words and bits by address). `sync()`
encodes what the device changed into the image; pymodbus's datastore action, which runs
before every request is answered, first copies what changed into pymodbus's register
lists (the action is the library's hook for updating them) and then decides the answer:
silence while the device is offline, exception 4 while it is in fault, and for writes the
device's own verdict (`SimDevice.write`, `Refused` -> an exception code). A refused write
returns its exception before pymodbus stores anything, so the registers stay as they were.

Refusals as Modbus exceptions: READ_ONLY -> 2 (illegal data address: a read-only holding
register or coil is not a writable address; writes to discrete inputs and input registers
have no function code at all), UNKNOWN -> 2, OUT_OF_RANGE and WRONG_TYPE -> 3 (illegal
data value), DEVICE_FAULT -> 4 (server device failure). A write that covers only part of a
multi-register value is refused with 2 ("the combination of address and length is
invalid", in the words of the Modbus spec).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.simulator import DataType, SimData
from pymodbus.simulator import SimDevice as PymodbusDevice

from penworks.core import PointKind, Value
from penworks.sim.devices import Refusal, Refused, SimDevice
from penworks.sim.servers.modbus_codec import (
    EncodeError,
    decode,
    encode,
    encode_bit,
    with_bit,
    word_bit,
)
from penworks.sim.servers.modbus_map import BIT_TABLES, TABLE_NAMES, MappedPoint, RegisterMap

log = logging.getLogger(__name__)

FIRST_UNIT, LAST_UNIT = 1, 247
# The table each function code reads or writes (22 mask write, 23 read/write registers).
TABLE_OF = {1: 1, 5: 1, 15: 1, 2: 2, 3: 3, 6: 3, 16: 3, 22: 3, 23: 3, 4: 4}
EXCEPTION_OF = {
    Refusal.READ_ONLY: ExcCodes.ILLEGAL_ADDRESS,
    Refusal.UNKNOWN: ExcCodes.ILLEGAL_ADDRESS,
    Refusal.OUT_OF_RANGE: ExcCodes.ILLEGAL_VALUE,
    Refusal.WRONG_TYPE: ExcCodes.ILLEGAL_VALUE,
    Refusal.DEVICE_FAULT: ExcCodes.DEVICE_FAILURE,
}

Write = tuple[MappedPoint, Value]


class ModbusUnit:
    """A device served at its unit id; ValueError if its address or register map is wrong."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self.unit_id = unit_id_of(device)
        self.map = RegisterMap(device.type)
        self._by_key = {point.key: point for point in self.map.points()}
        self._words: dict[int, dict[int, int]] = {3: {}, 4: {}}
        self._bits: dict[int, dict[int, bool]] = {1: {}, 2: {}}
        self._dirty: dict[int, set[int]] = {1: set(), 2: set(), 3: set(), 4: set()}
        self._warned: set[str] = set()  # points whose value did not fit, logged once each
        for point in self.map.points():  # zeros first: a value that cannot be encoded keeps them
            for address in range(point.start, point.end):
                if point.register.function in BIT_TABLES:
                    self._bits[point.register.function][address] = False
                else:
                    self._words[point.register.function][address] = 0
        for point in self.map.points():
            self._encode(point, device.get(point.key))

    # -- the image ----------------------------------------------------------------------------

    def sync(self) -> int:
        """Encode what the device changed since the last sync; how many points that was."""
        count = 0
        for key in self.device.take_changes():
            point = self._by_key.get(key)
            if point is not None:
                self._encode(point, self.device.get(key))
                count += 1
        return count

    def pymodbus_device(self) -> PymodbusDevice:
        """The unit as pymodbus serves it: the image as it is now, and this unit's action."""
        for dirty in self._dirty.values():
            dirty.clear()  # the blocks start from the image
        simdata = (self._blocks(1), self._blocks(2), self._blocks(3), self._blocks(4))
        return PymodbusDevice(self.unit_id, simdata=simdata, action=self.action)

    def _blocks(self, function: int) -> list[SimData]:
        """A block per run of mapped addresses of a table, holding the image's values."""
        bits = function in BIT_TABLES
        image: Mapping[int, int] = self._bits[function] if bits else self._words[function]
        runs = list(self.map.tables[function].runs())
        if not runs and bits:  # pymodbus needs a block per table; the action refuses every bit
            return [SimData(0, values=[False] * 16, datatype=DataType.BITS)]
        if not runs:  # an invalid register: pymodbus answers 'illegal data address'
            return [SimData(0, datatype=DataType.INVALID)]
        datatype = DataType.BITS if bits else DataType.REGISTERS
        return [
            SimData(start, values=[image[a] for a in range(start, start + n)], datatype=datatype)
            for start, n in runs
        ]

    def _encode(self, point: MappedPoint, value: Value) -> None:
        function, address = point.register.function, point.start
        try:
            if function in BIT_TABLES:
                self._bits[function][address] = encode_bit(value)
            elif point.in_register_bit:
                assert point.register.bit is not None  # RegisterMap checked it
                words = self._words[function]
                words[address] = with_bit(
                    words.get(address, 0), point.register.bit, encode_bit(value)
                )
            else:
                encoded = encode(point.register, value)
                if encoded.clamped:
                    self._warn(point, f"{value!r} does not fit {point.register.type}: saturated")
                for offset, word in enumerate(encoded.words):
                    self._words[function][address + offset] = word
        except EncodeError as exc:
            self._warn(point, f"{value!r} kept out of the registers: {exc}")
            return
        self._dirty[function].update(range(point.start, point.end))

    def _warn(self, point: MappedPoint, what: str) -> None:
        if point.key not in self._warned:
            self._warned.add(point.key)
            log.warning("%s (unit %d) %s: %s", self.device.name, self.unit_id, point.key, what)

    def _flush(self, function: int, start: int, registers: list[int]) -> None:
        """Copy what changed in the image into pymodbus's registers of one table."""
        dirty = self._dirty[function]
        if not dirty:
            return
        if function in BIT_TABLES:
            bits = self._bits[function]
            for address in dirty:  # bit tables pack 16 bits a register, bit 0 first
                index = address // 16 - start
                registers[index] = with_bit(registers[index], address % 16, bits[address])
        else:
            words = self._words[function]
            for address in dirty:
                registers[address - start] = words[address]
        dirty.clear()

    # -- answers ------------------------------------------------------------------------------

    async def action(
        self,
        function: int,
        start: int,
        address: int,
        _count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus's datastore action: runs before each request of this unit is answered."""
        table = TABLE_OF[function]
        self._flush(table, start, registers)
        if not self.device.online:
            # With ignore_missing_devices, pymodbus sends nothing: the client times out.
            raise NoSuchIdException(f"unit {self.unit_id} ({self.device.name}) is offline")
        if values is None:
            return self._read(table, address)
        return self._write(table, address, values)

    def _read(self, table: int, address: int) -> ExcCodes | None:
        if self.device.fault is not None:
            return ExcCodes.DEVICE_FAILURE
        # pymodbus checks register addresses itself; bits are packed 16 a register, so the
        # action sees no bit count: a bit read must at least start at a mapped bit.
        if table in BIT_TABLES and not self.map.tables[table].mapped(address):
            return ExcCodes.ILLEGAL_ADDRESS
        return None

    def _write(
        self, table: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ExcCodes | None:
        if table in BIT_TABLES:
            found = self._bit_writes(table, address, values)
        else:
            found = self._register_writes(table, address, [int(v) for v in values])
        if isinstance(found, ExcCodes):
            return found
        try:
            self._apply(found)
        except Refused as refused:
            log.info(
                "%s (unit %d) refused a write to %s %d: %s",
                self.device.name,
                self.unit_id,
                TABLE_NAMES[table],
                address,
                refused.detail,
            )
            return EXCEPTION_OF[refused.refusal]
        self._store(table, address, values)
        return None

    def _bit_writes(
        self, table: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> list[Write] | ExcCodes:
        writes: list[Write] = []
        for offset, on in enumerate(values):
            points = self.map.tables[table].at(address + offset)
            if not points:
                return ExcCodes.ILLEGAL_ADDRESS
            writes.append((points[0], _bit_value(points[0], bool(on))))
        return writes

    def _register_writes(
        self, table: int, address: int, words: list[int]
    ) -> list[Write] | ExcCodes:
        """The points a register write changes: whole values it covers, bits it flips."""
        end = address + len(words)
        new = dict(zip(range(address, end), words, strict=True))
        current = self._words[table]
        writes: list[Write] = []
        seen: set[str] = set()
        for at in range(address, end):
            points = self.map.tables[table].at(at)
            if not points:
                return ExcCodes.ILLEGAL_ADDRESS
            for point in points:
                if point.key in seen:
                    continue
                seen.add(point.key)
                if point.in_register_bit:
                    bit = point.register.bit
                    assert bit is not None
                    on = word_bit(new[at], bit)
                    if on != word_bit(current.get(at, 0), bit):  # other bits stay as they are
                        writes.append((point, _bit_value(point, on)))
                elif point.start < address or point.end > end:
                    return ExcCodes.ILLEGAL_ADDRESS  # half of a multi-register value
                else:
                    span = [new[a] for a in range(point.start, point.end)]
                    writes.append((point, decode(point.register, span)))
        return writes

    def _apply(self, writes: list[Write]) -> None:
        """All or nothing: every value is checked before the first one is written."""
        if self.device.fault is not None:
            raise Refused(
                Refusal.DEVICE_FAULT, f"{self.device.name} is in fault: {self.device.fault}"
            )
        for point, value in writes:
            point.spec.check(value)
        for point, value in writes:
            self.device.write(point.key, value)

    def _store(self, table: int, address: int, values: Sequence[int] | Sequence[bool]) -> None:
        """Keep the image equal to what pymodbus stores once the action accepts a write."""
        if table in BIT_TABLES:
            bits = self._bits[table]
            for offset, on in enumerate(values):
                bits[address + offset] = bool(on)
        else:
            words = self._words[table]
            for offset, word in enumerate(values):
                words[address + offset] = int(word)


def unit_id_of(device: SimDevice) -> int:
    address = device.address
    if isinstance(address, bool) or not isinstance(address, int):
        raise ValueError(f"{device.name}: a Modbus unit id is a number, not {address!r}")
    if not FIRST_UNIT <= address <= LAST_UNIT:
        raise ValueError(f"{device.name}: unit id {address} is outside {FIRST_UNIT}..{LAST_UNIT}")
    return address


def _bit_value(point: MappedPoint, on: bool) -> Value:
    return on if point.spec.kind is PointKind.BOOL else int(on)
