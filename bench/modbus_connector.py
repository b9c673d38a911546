"""How fast the Modbus connector polls one device on loopback into observations on the bus.

    .venv/bin/python bench/modbus_connector.py                  # server in its own process
    .venv/bin/python bench/modbus_connector.py --in-process -n 2000 --seconds 10

The device is pymodbus's own ModbusTcpServer (SimDevice datastore) holding N holding
registers, in a separate process by default (--in-process: on the same event loop, which
then shares one core with the connector). The connector polls N uint16 points (blocks of
125 registers) with poll_s as small as allowed, i.e. back to back. Figures:
  points/s   observations counted by a MemoryBus subscriber, end to end
  reads/s    read requests answered (one per block)
  latency    of one block read through the connector's DeviceSession: mean and p99
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import child_process  # noqa: E402
from pymodbus.server import ModbusTcpServer  # noqa: E402
from pymodbus.simulator import DataType, SimData, SimDevice  # noqa: E402

from penworks.bus import MemoryBus  # noqa: E402
from penworks.connectors import DeviceState  # noqa: E402
from penworks.connectors.modbus import (  # noqa: E402
    ModbusConnector,
    ModbusConnectorConfig,
    ModbusDeviceConfig,
)
from penworks.connectors.modbus.session import DeviceSession  # noqa: E402
from penworks.core import Point, RealClock  # noqa: E402
from penworks.model.schema import ModbusBinding  # noqa: E402

BLOCK = 125


def device_config(port: int, max_block: int = BLOCK) -> ModbusDeviceConfig:
    return ModbusDeviceConfig(
        name="bench", host="127.0.0.1", port=port, poll_s=1e-6, timeout_s=2.0, max_block=max_block
    )


async def serve(count: int, port: int) -> ModbusTcpServer:
    values = [i % 65536 for i in range(count)]
    device = SimDevice(1, simdata=[SimData(0, values=values, datatype=DataType.REGISTERS)])
    server = ModbusTcpServer(device, address=("127.0.0.1", port))
    await server.serve_forever(background=True)
    return server


async def run_server(count: int, port: int) -> None:
    """The device in its own process: serves until stdin closes."""
    server = await serve(count, port)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus leaves it bare


@contextlib.asynccontextmanager
async def device(count: int, port: int, in_process: bool) -> AsyncIterator[str]:
    if in_process:
        server = await serve(count, port)
        try:
            yield "same process and event loop as the connector"
        finally:
            await server.shutdown()  # type: ignore[no-untyped-call]
        return
    async with child_process(__file__, "serve", str(count), str(port)) as (process, _):
        yield f"own process (pid {process.pid})"


def points(count: int) -> list[tuple[Point, ModbusBinding]]:
    return [
        (
            Point(f"bench.dev.r{i}", "Point"),
            ModbusBinding(connector="modbus", device="bench", address=i),
        )
        for i in range(count)
    ]


async def measure_polling(count: int, port: int, seconds: float) -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="count", maxsize=1_000_000)
    config = ModbusConnectorConfig(type="modbus", name="bench", devices=[device_config(port)])
    connector = ModbusConnector(config, points(count), bus, RealClock())
    observed = 0

    async def count_observations() -> None:
        nonlocal observed
        while batch := await sub.batch(100_000):
            observed += len(batch)

    async with asyncio.TaskGroup() as tasks:
        polling = tasks.create_task(connector.run())
        counting = tasks.create_task(count_observations())
        await asyncio.wait_for(connector.wait_state(DeviceState.ONLINE), 10)
        start_obs, start_reads = observed, connector.stats()["reads"]
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - started
        got, reads = observed - start_obs, connector.stats()["reads"] - start_reads
        polling.cancel()
        counting.cancel()
    stats = connector.stats()
    blocks = len(connector.pollers["bench"].blocks)
    print(f"points/s   {got / elapsed:>10,.0f}  ({got:,} observations in {elapsed:.1f} s)")
    print(f"reads/s    {reads / elapsed:>10,.0f}  ({blocks} blocks of <= {BLOCK} per poll)")
    print(f"polls/s    {reads / blocks / elapsed:>10,.1f}  (all {count:,} points each)")
    print(f"errors     {stats['errors']:>10}  dead letters {stats['dead_letters']}")


async def measure_latency(port: int, reads: int, size: int, count: int) -> None:
    """Reads of `size` registers, spread over the device's `count`."""
    session = DeviceSession(device_config(port))
    samples = []
    async with session.lock:
        await session.ensure_connected()
        for i in range(reads):
            started = time.perf_counter()
            await session.read_registers(3, (i * size) % (count - size + 1), size)
            samples.append((time.perf_counter() - started) * 1000.0)
    session.close()
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"latency    mean {statistics.fmean(samples):.3f} ms  p50 {samples[len(samples) // 2]:.3f}"
        f"  p99 {p99:.3f} ms  ({reads:,} reads of {size} registers)"
    )


async def main(args: argparse.Namespace) -> None:
    port = args.port
    async with device(args.count, port, args.in_process) as where:
        print(f"{args.count:,} holding-register points, 1 device on 127.0.0.1:{port}: {where}")
        await measure_polling(args.count, port, args.seconds)
        await measure_latency(port, args.reads, min(BLOCK, args.count), args.count)
        await measure_latency(port, args.reads, 1, args.count)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--count", type=int, default=1000, help="points (registers)")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to poll")
    parser.add_argument("--reads", type=int, default=2000, help="reads timed for latency")
    parser.add_argument("--port", type=int, default=15020, help="loopback port of the device")
    parser.add_argument("--in-process", action="store_true", help="serve on the same event loop")
    return parser.parse_args(argv)


if __name__ == "__main__":
    # Each measurement ends by cancelling a request in flight; pymodbus logs the answer that
    # then has nowhere to go as an error, with a dump of the traffic.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(run_server(int(sys.argv[2]), int(sys.argv[3])))
    else:
        asyncio.run(main(parse(sys.argv[1:])))
