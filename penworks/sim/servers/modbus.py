"""The twin's Modbus TCP gateway: one TCP port, many devices, each at its unit id.

A real building puts meters and controllers on RS-485 behind a Modbus TCP gateway; the
twin does the same with one pymodbus ModbusTcpServer and one pymodbus SimDevice (the
library's current datastore) per SimDevice. Each device's register map comes from its
DeviceType (`PointSpec.modbus`); see `modbus_unit` for how values, writes, faults and
refusals become registers and exception codes. A unit id with no device behind it answers
exception 11 (gateway target device failed to respond), as a real gateway does.

    gateway = ModbusGateway("b15_meters", meters, port=5020)
    await gateway.start()      # binds; gateway.port is known from here on
    ...                        # each twin step: devices .set(...), then
    await gateway.sync()       # changed values into the registers
    await gateway.stop()
"""

from __future__ import annotations

from collections.abc import Sequence

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData
from pymodbus.simulator import SimDevice as PymodbusDevice

from penworks.sim.devices import SimDevice
from penworks.sim.servers.base import Endpoint
from penworks.sim.servers.modbus_unit import ModbusUnit

_ANY_UNIT = 0  # pymodbus's catch-all device id: every unit id no device claims


class ModbusGateway:
    """A DeviceServer: a Modbus TCP gateway in front of several devices."""

    def __init__(
        self,
        name: str,
        devices: Sequence[SimDevice],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port  # 0 until start() when any free port is asked for
        self._wanted_port = port
        self.units = [ModbusUnit(device) for device in devices]
        taken: dict[int, str] = {}
        for unit in self.units:
            if unit.unit_id in taken:
                raise ValueError(
                    f"{name}: unit id {unit.unit_id} is given to both "
                    f"{taken[unit.unit_id]} and {unit.device.name}"
                )
            taken[unit.unit_id] = unit.device.name
        self._server: ModbusTcpServer | None = None

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already running")
        devices = [unit.pymodbus_device() for unit in self.units]
        server = ModbusTcpServer(
            [*devices, _no_device()],
            address=(self.host, self._wanted_port),
            ignore_missing_devices=True,  # how an offline unit stays silent (see modbus_unit)
        )
        await server.serve_forever(background=True)
        self._server = server
        self.port = _bound_port(server) or self._wanted_port

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus leaves it bare

    async def sync(self) -> None:
        self.sync_count()

    def sync_count(self) -> int:
        """Encode every device's changes into its registers; how many points changed."""
        return sum(unit.sync() for unit in self.units)

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint.of(
                u.device, server=self.name, host=self.host, port=self.port, address=u.unit_id
            )
            for u in self.units
        ]


def _no_device() -> PymodbusDevice:
    """Every unit id with no device: one shared block over all addresses, one answer."""

    async def no_answer(*_request: object) -> ExcCodes:
        return ExcCodes.GATEWAY_NO_RESPONSE

    block = SimData(0, count=65536, datatype=DataType.REGISTERS)
    return PymodbusDevice(_ANY_UNIT, simdata=[block], action=no_answer)


def _bound_port(server: ModbusTcpServer) -> int | None:
    """The port the listening socket got (pymodbus keeps the asyncio.Server as transport)."""
    for sock in getattr(server.transport, "sockets", None) or ():
        return int(sock.getsockname()[1])
    return None
