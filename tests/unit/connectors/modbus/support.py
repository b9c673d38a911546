"""Helpers for the Modbus connector tests: a real pymodbus server as the peer, bindings, maps.

The peer is pymodbus's own TCP server with a SimDevice datastore (the library's current,
non-deprecated datastore API), on a free loopback port. Faults are switched on inside the
server's datastore action, so the connector sees real protocol answers: exception codes,
a device that stops answering, slow answers. The action also counts the requests the
server receives and how many it handles at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pymodbus.constants import ExcCodes
from pymodbus.pdu.device import ModbusDeviceIdentification
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from penworks.connectors.modbus import ModbusConnectorConfig, ModbusDeviceConfig
from penworks.model.schema import ModbusBinding
from tests.conftest import free_port
from tests.unit.connectors.support import point as point  # re-exported for the Modbus tests

# Which register table a function code reads or writes.
TABLE_OF = {1: 1, 5: 1, 15: 1, 2: 2, 3: 3, 6: 3, 16: 3, 4: 4}
READS = frozenset({1, 2, 3, 4})
ECHOED = frozenset({5, 6})  # the server reads these back after writing, through the action


@dataclass(frozen=True)
class Request:
    function: int
    address: int
    count: int


class Peer:
    """A Modbus TCP device on 127.0.0.1: pymodbus's server over a real SimDevice datastore.

    `holding`/`inputs` map a start address to register values; `coils`/`discrete` map a
    start address to bits. Addresses outside them answer 'illegal data address', as a
    real device's would.
    """

    def __init__(
        self,
        *,
        holding: dict[int, list[int]] | None = None,
        inputs: dict[int, list[int]] | None = None,
        coils: dict[int, list[bool]] | None = None,
        discrete: dict[int, list[bool]] | None = None,
        unit_id: int = 1,
        identity: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.unit_id = unit_id
        self._tables = (
            _bits(coils or {0: [False] * 16}),
            _bits(discrete or {0: [False] * 16}),
            _registers(holding or {0: [0]}),
            _registers(inputs or {0: [0]}),
        )
        self._identity = ModbusDeviceIdentification(info_name=identity or {})
        self._server: ModbusTcpServer | None = None
        self.requests: list[Request] = []
        self.refuse: dict[tuple[int, int], ExcCodes] = {}  # (table, address) -> code for reads
        self.refuse_writes: ExcCodes | None = None
        self.delay_s = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._answering = asyncio.Event()
        self._answering.set()
        self._quiet = False
        self._changed = asyncio.Event()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def device(self, name: str = "plc", **fields: object) -> ModbusDeviceConfig:
        """A device config that reaches this peer, with short test timings."""
        settings: dict[str, object] = {
            "poll_s": 0.05,
            "timeout_s": 0.3,
            "retries": 0,
            "offline_after": 2,
        }
        settings.update(fields)
        return ModbusDeviceConfig(
            name=name, host="127.0.0.1", port=self.port, unit_id=self.unit_id, **settings
        )

    def hang(self) -> None:
        """Stop answering: requests are held until answer() (a device that went silent)."""
        self._answering.clear()

    def answer(self) -> None:
        self._answering.set()

    async def start(self) -> None:
        # pymodbus keeps the identity in a process-wide control block: set it for this peer.
        device = SimDevice(self.unit_id, simdata=self._tables, action=self._action)
        self._server = ModbusTcpServer(
            device, address=("127.0.0.1", self.port), identity=self._identity
        )
        await self._server.serve_forever(background=True)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    async def values(self, function: int, address: int, count: int = 1) -> list[int] | list[bool]:
        """What the datastore holds now (not counted as a request)."""
        assert self._server is not None
        self._quiet = True
        try:
            return await self._server.async_getValues(self.unit_id, function, address, count)
        finally:
            self._quiet = False

    async def set_values(self, function: int, address: int, values: list[int] | list[bool]) -> None:
        """Change the datastore, as the device's own logic would (not counted as a request)."""
        assert self._server is not None
        write = {1: 15, 3: 16}[function]
        self._quiet = True
        try:
            await self._server.async_setValues(self.unit_id, write, address, values)
        finally:
            self._quiet = False

    def reads(self, function: int | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.function in READS and (function is None or r.function == function)
        ]

    async def wait_requests(self, count: int, within_s: float = 5.0) -> None:
        """Wait until the server has received `count` requests in all."""
        async with asyncio.timeout(within_s):
            while len(self.requests) < count:
                await self._changed.wait()
                self._changed.clear()

    async def _action(
        self,
        function: int,
        _start: int,
        address: int,
        count: int,
        _registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self._quiet or (function in ECHOED and values is None):
            return None  # our own look at the datastore, or the server echoing a single write
        self.requests.append(Request(function, address, count))
        self._changed.set()
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await self._answering.wait()
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if values is not None:
                return self.refuse_writes
            table = TABLE_OF[function]
            for a in range(address, address + count):
                if (table, a) in self.refuse:
                    return self.refuse[(table, a)]
            return None
        finally:
            self.in_flight -= 1


def _registers(runs: dict[int, list[int]]) -> list[SimData]:
    return [SimData(a, values=v, datatype=DataType.REGISTERS) for a, v in sorted(runs.items())]


def _bits(runs: dict[int, list[bool]]) -> list[SimData]:
    return [SimData(a, values=v, datatype=DataType.BITS) for a, v in sorted(runs.items())]


@asynccontextmanager
async def running(peer: Peer) -> AsyncIterator[Peer]:
    await peer.start()
    try:
        yield peer
    finally:
        peer.answer()  # let held requests finish, so no server task is left waiting
        await peer.stop()


def binding(address: int, device: str = "plc", **fields: object) -> ModbusBinding:
    return ModbusBinding(connector="modbus", device=device, address=address, **fields)  # type: ignore[arg-type]


def config(*devices: ModbusDeviceConfig, **fields: object) -> ModbusConnectorConfig:
    settings: dict[str, object] = {"reconnect_initial_s": 0.02, "reconnect_max_s": 0.1}
    settings.update(fields)
    return ModbusConnectorConfig(type="modbus", devices=list(devices), **settings)  # type: ignore[arg-type]


# -- SunSpec maps, as a device holds them ---------------------------------------------------

SUNS = [0x5375, 0x6E53]
END = [0xFFFF, 0]
SF_MINUS_1, SF_MINUS_2, UNIMPLEMENTED_INT16 = 0xFFFF, 0xFFFE, 0x8000


def text_registers(value: str, registers: int) -> list[int]:
    """A SunSpec string: two characters a register, padded with NULs."""
    raw = value.encode().ljust(registers * 2, b"\x00")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, registers * 2, 2)]


def common_model() -> list[int]:
    text = text_registers
    data = text("Penworks", 16) + text("PV-10", 16) + text("", 8) + text("1.0", 8)
    data += text("SN123", 16) + [1, 0]
    return [1, len(data), *data]


def inverter_model() -> list[int]:
    data = [0] * 50
    data[0:5] = [125, 42, 41, 42, SF_MINUS_1]  # AC current 12.5 A
    data[5:12] = [4000, 4001, 3999, 2300, 2301, 2299, SF_MINUS_1]  # voltages
    data[12:16] = [5000, 0, 5000, SF_MINUS_2]  # 5000 W, 50.00 Hz
    data[16:22] = [5100, 0, 300, 0, 98, 0]  # VA, var, PF
    data[22:25] = [0x0001, 0xE240, 0]  # 123456 Wh
    data[25:31] = [130, SF_MINUS_1, 4200, SF_MINUS_1, 5200, 0]  # DC side
    data[31:36] = [355, UNIMPLEMENTED_INT16, UNIMPLEMENTED_INT16, UNIMPLEMENTED_INT16, SF_MINUS_1]
    data[36] = 4  # operating state: MPPT
    return [103, 50, *data]


def meter_model() -> list[int]:
    data = [0] * 105
    data[0:5] = [30, 10, 10, 10, 0]
    data[14:16] = [5000, SF_MINUS_2]
    data[16:21] = [6900, 2300, 2300, 2300, 0]
    data[36:38] = [0, 0]
    data[44:46] = [0x0002, 0x0000]  # 131072 Wh imported
    data[52] = 0
    return [203, 105, *data]
