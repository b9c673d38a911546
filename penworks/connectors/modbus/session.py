"""One device's connection: a pymodbus AsyncModbusTcpClient, one request at a time.

Everything that talks to the device (polls, commands, read-modify-write, discovery) holds
`lock` around its requests, so requests never overlap on the wire and a read-modify-write
is atomic as far as this connector goes. Answers become values or typed errors:
DeviceRefused for a Modbus exception response, LinkFailure for no answer or no connection
(after which the connection is closed, since a late answer could be taken for the next one).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from penworks.connectors.modbus.codec import TABLES
from penworks.connectors.modbus.config import ModbusDeviceConfig
from penworks.core import ConnectorError

log = logging.getLogger(__name__)

EXCEPTION_NAMES: dict[int, str] = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    7: "negative acknowledge",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
ILLEGAL_ADDRESS = 2

_V = TypeVar("_V", int, bool)


class DeviceRefused(ConnectorError):
    """The device answered a request with a Modbus exception code."""

    def __init__(self, device: str, what: str, code: int) -> None:
        name = EXCEPTION_NAMES.get(code, "unknown exception")
        super().__init__(f"{device}: {what} refused: {name} (exception {code})")
        self.code = code


class LinkFailure(ConnectorError):
    """No answer, no connection, or an answer that does not fit the request."""


class DeviceSession:
    """The connection to one device; callers hold `lock` around each exchange."""

    def __init__(self, config: ModbusDeviceConfig) -> None:
        self.config = config
        self.name = config.name
        self.lock = asyncio.Lock()
        self._client: AsyncModbusTcpClient | None = None
        # pymodbus bounds each try by timeout_s; this bounds the whole exchange as well.
        self._deadline_s = config.timeout_s * (config.retries + 1) + 1.0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.connects = 0
        self.latency_s: float | None = None

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.port} unit {self.config.unit_id}"

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def ensure_connected(self) -> None:
        """Connect if not connected (one attempt); LinkFailure if the device cannot be reached."""
        if self.connected:
            return
        self.close()
        client = AsyncModbusTcpClient(
            self.config.host,
            port=self.config.port,
            timeout=self.config.timeout_s,
            retries=self.config.retries,
            reconnect_delay=0,  # the poller reconnects, with jittered backoff
            name=f"penworks-{self.name}",
        )
        try:
            async with asyncio.timeout(self._deadline_s):
                ok = await client.connect()
        except TimeoutError:
            ok = False
        if not ok:
            client.close()
            raise LinkFailure(f"{self.name}: cannot connect to {self.where}")
        self._client = client
        self.connects += 1

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def read_registers(self, function: int, address: int, count: int) -> list[int]:
        what = f"read {TABLES[function]} {address} x{count}"
        if function == 3:
            response = await self._call(
                what, lambda c: c.read_holding_registers(address, count=count, device_id=self._id)
            )
        else:
            response = await self._call(
                what, lambda c: c.read_input_registers(address, count=count, device_id=self._id)
            )
        return _sized(self.name, what, list(response.registers), count)

    async def read_bits(self, function: int, address: int, count: int) -> list[bool]:
        what = f"read {TABLES[function]} {address} x{count}"
        if function == 1:
            response = await self._call(
                what, lambda c: c.read_coils(address, count=count, device_id=self._id)
            )
        else:
            response = await self._call(
                what, lambda c: c.read_discrete_inputs(address, count=count, device_id=self._id)
            )
        return _sized(self.name, what, list(response.bits[:count]), count)

    async def write_coil(self, address: int, value: bool) -> None:
        await self._call(
            f"write coil {address}", lambda c: c.write_coil(address, value, device_id=self._id)
        )

    async def write_registers(self, address: int, values: Sequence[int]) -> None:
        """Function 6 for one register, 16 for more."""
        what = f"write hr {address} x{len(values)}"
        if len(values) == 1:
            await self._call(
                what, lambda c: c.write_register(address, values[0], device_id=self._id)
            )
        else:
            await self._call(
                what, lambda c: c.write_registers(address, list(values), device_id=self._id)
            )

    async def device_information(self, read_code: int) -> dict[int, bytes]:
        """Read Device Identification (function 43/14) objects, by object id."""
        response = await self._call(
            "read device identification",
            lambda c: c.read_device_information(read_code=read_code, device_id=self._id),
        )
        found: dict[int, bytes] = {}
        for object_id, value in getattr(response, "information", {}).items():
            found[int(object_id)] = b" ".join(value) if isinstance(value, list) else bytes(value)
        return found

    @property
    def _id(self) -> int:
        return self.config.unit_id

    async def _call(
        self, what: str, send: Callable[[AsyncModbusTcpClient], Awaitable[ModbusPDU]]
    ) -> ModbusPDU:
        client = self._client
        if client is None or not client.connected:
            raise LinkFailure(f"{self.name}: {what}: not connected to {self.where}")
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._deadline_s):
                response = await send(client)
        except (ModbusException, TimeoutError) as exc:
            self.close()
            raise LinkFailure(f"{self.name}: {what}: {_no_answer(exc, self.config)}") from exc
        except asyncio.CancelledError:
            self.close()  # its answer may still come: it must not be taken for the next one's
            raise
        finally:
            self.in_flight -= 1
        self.latency_s = time.perf_counter() - started
        if response.isError():
            raise DeviceRefused(self.name, what, response.exception_code)
        return response


def _sized(device: str, what: str, values: list[_V], count: int) -> list[_V]:
    if len(values) < count:
        raise LinkFailure(f"{device}: {what}: answer holds {len(values)} values, not {count}")
    return values[:count]


def _no_answer(exc: Exception, config: ModbusDeviceConfig) -> str:
    tries = config.retries + 1
    text = str(exc).removeprefix("Modbus Error: ").removeprefix("[Input/Output] ")
    if isinstance(exc, TimeoutError) or text.startswith("No response"):
        plural = "try" if tries == 1 else "tries"
        return f"no answer within {config.timeout_s:g} s ({tries} {plural})"
    return f"no valid answer: {text}"
