"""How fast the BACnet connector turns a device's changes into observations on the bus.

    .venv/bin/python bench/bacnet_connector.py                 # 50 objects, 5 s per figure
    .venv/bin/python bench/bacnet_connector.py -n 200 --seconds 10

One simulated device (bacpypes3 local analog-value objects) runs in a process of its own on a
loopback port. Figures:
  cov confirmed    COV notifications/s the connector turns into observations (MemoryBus),
  cov unconfirmed  while the device changes every object's value as fast as it can
  rpm poll         points/s read by polling with ReadPropertyMultiple, polls back to back
  rp poll          the same from a device without ReadPropertyMultiple (ReadProperty each)
A COV figure counts observations, so a notification the connector did not take (an
unconfirmed one dropped, a confirmed one not yet sent) is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import child_process  # noqa: E402

from penworks.bus import MemoryBus  # noqa: E402
from penworks.connectors import DeviceState  # noqa: E402
from penworks.connectors.bacnet import (  # noqa: E402
    BacnetConnector,
    BacnetConnectorConfig,
    BacnetDeviceConfig,
)
from penworks.core import Point, RealClock  # noqa: E402
from penworks.model.schema import BacnetBinding  # noqa: E402

DEVICE = 1501


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the device (child process) -------------------------------------------------------------


async def run_device(port: int, count: int, rpm: bool) -> None:
    """A device of `count` analog-values on `port`.

    It changes every value as fast as it can send the notifications, from a line "go" on
    stdin until stdin closes. bacpypes3 does not pace a device's notifications (a confirmed
    one waits for no window), so a sweep waits for the stack to send what the last one queued.
    """
    from bacpypes3.app import Application
    from bacpypes3.local.analog import AnalogValueObject
    from bacpypes3.local.device import DeviceObject
    from bacpypes3.local.networkport import NetworkPortObject

    class NoRpm(Application):  # type: ignore[misc]
        do_ReadPropertyMultipleRequest = None

    objects = [
        AnalogValueObject(
            objectIdentifier=("analog-value", i),
            objectName=f"Value {i}",
            presentValue=0.0,
            covIncrement=0.5,
            statusFlags=[0, 0, 0, 0],
            eventState="normal",
            outOfService=False,
        )
        for i in range(1, count + 1)
    ]
    device = DeviceObject(
        objectIdentifier=("device", DEVICE), objectName="bench", vendorIdentifier=999
    )
    net = NetworkPortObject(
        f"127.0.0.1/8:{port}", objectIdentifier=("network-port", 1), objectName="p"
    )
    app = (Application if rpm else NoRpm).from_object_list([device, net, *objects])
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # "go", or the end of stdin
    stdin_closed = asyncio.ensure_future(asyncio.to_thread(sys.stdin.read))
    idle = len(asyncio.all_tasks())

    def backlog() -> bool:
        """Confirmed notifications not yet acknowledged, or sends not yet made, beyond one each."""
        unacknowledged = sum(len(waiting) for waiting in app._requests.values())
        return unacknowledged > count or len(asyncio.all_tasks()) > idle + count

    value = 0.0
    while not stdin_closed.done():
        value += 1.0
        for obj in objects:
            obj.presentValue = value
        await asyncio.sleep(0)
        while backlog() and not stdin_closed.done():  # noqa: ASYNC110  # bacpypes3 has no event
            await asyncio.sleep(0.0005)
    app.close()


@contextlib.asynccontextmanager
async def device_process(port: int, count: int, *, rpm: bool = True) -> AsyncIterator[Any]:
    """The device in a process of its own; what it yields starts the changes when called."""
    args = ("device", str(port), str(count), "rpm" if rpm else "no-rpm")
    async with child_process(__file__, *args) as (process, _):
        stdin = process.stdin
        assert stdin is not None

        async def go() -> None:
            stdin.write(b"go\n")
            await stdin.drain()

        yield go


# -- the connector (this process) -----------------------------------------------------------


def points(count: int, cov: bool) -> list[tuple[Point, BacnetBinding]]:
    return [
        (
            Point(f"bench.v{i}", "Point"),
            BacnetBinding(connector="bacnet", device=DEVICE, object=f"analog-value,{i}", cov=cov),
        )
        for i in range(1, count + 1)
    ]


async def measure(
    port: int, count: int, seconds: float, *, cov: bool, go: Any = None, **device: Any
) -> tuple[float, dict[str, int]]:
    """Observations per second over `seconds`, once the connector is online (and subscribed).

    `go` (the device's) starts the changes once every object is subscribed.
    """
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="count", maxsize=1_000_000)
    config = BacnetConnectorConfig(
        type="bacnet",
        address=f"127.0.0.1/8:{free_port()}",
        devices=[BacnetDeviceConfig(instance=DEVICE, address=f"127.0.0.1:{port}", **device)],
    )
    connector = BacnetConnector(config, points(count, cov), bus, RealClock())
    task = asyncio.create_task(connector.run())
    try:
        await asyncio.wait_for(connector.wait_state(DeviceState.ONLINE), 10)
        while cov and connector.stats()["cov_active"] < count:  # noqa: ASYNC110  # no event
            await asyncio.sleep(0.05)
        if go is not None:
            await go()
        before = connector.stats()["observations"]
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        observed = connector.stats()["observations"] - before
        rate = observed / (time.perf_counter() - started)
        await sub.close()
        return rate, connector.stats()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def main(args: argparse.Namespace) -> None:
    n, seconds = args.objects, args.seconds
    print(f"one device, {n} analog-value objects on loopback, {seconds:g} s per figure")
    for confirmed in (True, False):
        port = free_port()
        async with device_process(port, n) as go:
            rate, stats = await measure(
                port, n, seconds, cov=True, go=go, cov_confirmed=confirmed, poll_s=3600
            )
        kind = "confirmed" if confirmed else "unconfirmed"
        print(
            f"cov {kind:<12} {rate:>9,.0f} notifications/s  "
            f"({stats['cov_notifications']:,} notifications, {stats['dead_letters']} dead letters)",
            flush=True,
        )
    for rpm in (True, False):
        port = free_port()
        async with device_process(port, n, rpm=rpm):
            rate, stats = await measure(port, n, seconds, cov=False, poll_s=0.001)
        reads = stats["reads"]
        name = "rpm poll" if rpm else "rp poll"
        print(f"{name:<16} {rate:>9,.0f} points/s  ({reads:,} requests)", flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--objects", type=int, default=50, help="objects of the device")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["device"]:
        port, count, rpm = sys.argv[2:5]
        asyncio.run(run_device(int(port), int(count), rpm == "rpm"))
    else:
        asyncio.run(main(parse(sys.argv[1:])))
