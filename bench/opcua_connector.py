"""How fast the OPC UA connector turns data changes into observations, and polls for comparison.

    .venv/bin/python bench/opcua_connector.py                  # 1,000 variables, 5 s each run
    .venv/bin/python bench/opcua_connector.py -n 200 --seconds 10 --publishing-ms 100

A separate process runs an asyncua Server on loopback with N Double variables and changes
them all, round robin, as fast as it can (so server and client do not share a core). Three
figures come out:
  subscribed  data changes/s the connector turned into observations (counted on a MemoryBus)
              from one subscription with a monitored item per variable
  polled      values/s the connector read with batched Read requests (subscribe: false,
              poll_s as short as the requests allow)
  mapping     DataValues/s of the connector's mapping alone (DataValue -> Observation on the
              MemoryBus, no network)
The server's own write rate is printed too: the subscription cannot report more changes than
the server makes, and with one value queued per item it reports at most N per publishing
interval.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asyncua import ua
from asyncua.server.server import Server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import child_process  # noqa: E402

from penworks.bus import MemoryBus  # noqa: E402
from penworks.connectors import DeviceState  # noqa: E402
from penworks.connectors.opcua import OpcuaConnector, OpcuaConnectorConfig  # noqa: E402
from penworks.connectors.opcua.outbox import Outbox  # noqa: E402
from penworks.connectors.opcua.points import build_entries  # noqa: E402
from penworks.core import Point, RealClock  # noqa: E402
from penworks.model.schema import OpcuaBinding  # noqa: E402

WRITE_BATCH = 20  # server writes between two chances for the server to publish


@dataclass(frozen=True)
class Result:
    name: str
    count: int
    seconds: float
    unit: str

    def line(self) -> str:
        rate = self.count / self.seconds if self.seconds > 0 else 0.0
        counted = f"({self.count:,} in {self.seconds:.2f} s)"
        return f"{self.name:<11} {rate:>10,.0f} {self.unit}/s  {counted}"


def node_id(i: int) -> str:
    return f"ns=2;s=Bench.V{i}"


def bindings(count: int, subscribe: bool) -> list[tuple[Point, OpcuaBinding]]:
    return [
        (
            Point(f"bench.v{i}", "Point"),
            OpcuaBinding(connector="opcua", server="bench", node=node_id(i), subscribe=subscribe),
        )
        for i in range(count)
    ]


def config(url: str, publishing_ms: float, poll_s: float) -> OpcuaConnectorConfig:
    return OpcuaConnectorConfig.model_validate(
        {
            "type": "opcua",
            "name": "bench",
            "servers": [
                {
                    "name": "bench",
                    "url": url,
                    "publishing_ms": publishing_ms,
                    "poll_s": poll_s,
                    "timeout_s": 10.0,
                }
            ],
        }
    )


# -- the server process ---------------------------------------------------------------------


async def run_server(count: int) -> None:
    """N variables changing as fast as the server can write them; prints the port, then the
    writes per second when stdin closes."""
    server = Server()
    await server.init()
    server.set_endpoint("opc.tcp://127.0.0.1:0/bench/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace("urn:penworks:bench")
    folder = await server.nodes.objects.add_object(
        ua.NodeId(ua.String("Bench"), ua.Int16(idx)), "Bench"
    )
    nodes = [
        (
            await folder.add_variable(
                ua.NodeId(ua.String(f"Bench.V{i}"), ua.Int16(idx)), f"V{i}", 0.0
            )
        ).nodeid
        for i in range(count)
    ]
    await server.start()
    assert server.bserver is not None
    print(server.bserver.port, flush=True)
    writes = 0
    stop = asyncio.create_task(asyncio.to_thread(sys.stdin.read))
    start = time.perf_counter()
    value = 0.0
    while not stop.done():
        value += 1.0
        for first in range(0, len(nodes), WRITE_BATCH):
            for nodeid in nodes[first : first + WRITE_BATCH]:
                await server.write_attribute_value(nodeid, ua.DataValue(ua.Variant(value)))
            await asyncio.sleep(0)  # writes never wait: let the server answer its clients
        writes += len(nodes)
    print(f"{writes / (time.perf_counter() - start):.0f}", flush=True)
    await server.stop()


@contextlib.asynccontextmanager
async def server_process(count: int) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    async with child_process(__file__, "server", str(count), stop_s=20) as (process, port):
        yield f"opc.tcp://127.0.0.1:{port}/bench/", process


async def server_write_rate(process: asyncio.subprocess.Process) -> float:
    assert process.stdout is not None
    assert process.stdin is not None
    process.stdin.close()
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    return float(line.decode() or 0)


# -- measurements ---------------------------------------------------------------------------


async def measure(
    name: str,
    url: str,
    count: int,
    seconds: float,
    *,
    subscribe: bool,
    publishing_ms: float,
    poll_s: float,
) -> Result:
    """Observations/s that reach a MemoryBus subscriber over `seconds`, once the first arrived."""
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="count", maxsize=1_000_000)
    connector = OpcuaConnector(
        config(url, publishing_ms, poll_s), bindings(count, subscribe), bus, RealClock()
    )
    async with asyncio.TaskGroup() as tasks:
        run = tasks.create_task(connector.run())
        await asyncio.wait_for(connector.wait_state(DeviceState.ONLINE), 30)
        await sub.batch(1)
        received = 0
        start = time.perf_counter()
        deadline = start + seconds
        while (now := time.perf_counter()) < deadline:
            try:
                async with asyncio.timeout(deadline - now):
                    received += len(await sub.batch(100_000))
            except TimeoutError:
                break
        elapsed = time.perf_counter() - start
        run.cancel()
    stats = connector.stats()
    if stats["dead_letters"] or stats["errors"]:
        print(f"  ({stats['dead_letters']} dead letters, {stats['errors']} errors)")
    return Result(name, received, elapsed, "obs")


async def measure_mapping(count: int, values: int) -> Result:
    """DataValue -> Observation on a MemoryBus, without network: the mapping's own ceiling."""
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="count", maxsize=values + 1)
    cfg = config("opc.tcp://127.0.0.1:4840/", 50, 1)
    entries = build_entries(cfg, bindings(count, True))
    outbox = Outbox("bench", bus, RealClock().now)
    stamp = ua.DateTime.fromtimestamp(datetime.now(UTC).timestamp(), tz=UTC)
    data = [
        ua.DataValue(ua.Variant(float(i)), SourceTimestamp=stamp, ServerTimestamp=stamp)
        for i in range(values)
    ]
    start = time.perf_counter()
    for i, value in enumerate(data):
        await outbox.value(entries[i % count], value)
    seconds = time.perf_counter() - start
    return Result("mapping", sub.stats().depth, seconds, "obs")


async def main(args: argparse.Namespace) -> None:
    print(
        f"{args.count:,} Double variables, publishing every {args.publishing_ms:g} ms, "
        f"{args.seconds:g} s per run, asyncua server in its own process"
    )
    async with server_process(args.count) as (url, process):
        subscribed = await measure(
            "subscribed",
            url,
            args.count,
            args.seconds,
            subscribe=True,
            publishing_ms=args.publishing_ms,
            poll_s=1.0,
        )
        print(subscribed.line(), flush=True)
        polled = await measure(
            "polled",
            url,
            args.count,
            args.seconds,
            subscribe=False,
            publishing_ms=args.publishing_ms,
            poll_s=0.001,
        )
        print(polled.line(), flush=True)
        writes = await server_write_rate(process)
        print(f"{'server':<11} {writes:>10,.0f} writes/s (what there was to report)")
    print((await measure_mapping(args.count, 200_000)).line())


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("-n", "--count", type=int, default=1000, help="variables on the server")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument(
        "--publishing-ms", type=float, default=50.0, help="publishing interval of the subscription"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["server"]:
        asyncio.run(run_server(int(sys.argv[2])))
    else:
        asyncio.run(main(parse(sys.argv[1:])))
