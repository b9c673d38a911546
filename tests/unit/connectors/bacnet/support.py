"""Helpers for the BACnet tests: bindings, configs, the connector running, its observations."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from penworks.bus import MemoryBus, Subscription
from penworks.connectors import DeviceState
from penworks.connectors.bacnet import BacnetConnector, BacnetConnectorConfig, BacnetDeviceConfig
from penworks.core import Observation, Point, RealClock
from penworks.model.schema import BacnetBinding
from tests.unit.connectors.bacnet.peer import PeerDevice
from tests.unit.connectors.support import next_observation, running_connector
from tests.unit.connectors.support import point as point  # re-exported for the BACnet tests


def free_port() -> int:
    """A UDP port that nothing holds now (tests.conftest.free_port asks TCP, not UDP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Short enough that a test of faults takes a second or two, long enough for a 2-core machine.
FAST = {"poll_s": 0.2, "timeout_s": 0.3, "retries": 0, "offline_after": 2, "cov_lifetime_s": 3}


def binding(device: int, obj: str, **fields: Any) -> BacnetBinding:
    return BacnetBinding(connector="bacnet", device=device, object=obj, **fields)


def device_config(peer: PeerDevice | int, **fields: Any) -> BacnetDeviceConfig:
    if isinstance(peer, int):
        return BacnetDeviceConfig(instance=peer, **{**FAST, **fields})
    return BacnetDeviceConfig(instance=peer.instance, address=peer.address, **{**FAST, **fields})


def config(*devices: BacnetDeviceConfig, **fields: Any) -> BacnetConnectorConfig:
    fields.setdefault("address", f"127.0.0.1/8:{free_port()}")
    return BacnetConnectorConfig(type="bacnet", devices=list(devices), **fields)


def connector(
    devices: Sequence[BacnetDeviceConfig],
    points: Sequence[tuple[Point, BacnetBinding]],
    bus: MemoryBus,
    **fields: Any,
) -> BacnetConnector:
    return BacnetConnector(config(*devices, **fields), points, bus, RealClock())


def running(
    bacnet: BacnetConnector, state: DeviceState | None = DeviceState.ONLINE
) -> contextlib.AbstractAsyncContextManager[BacnetConnector]:
    """The connector running (and in `state`, when one is given) for the body of the block."""
    return running_connector(bacnet, state)


async def observation(
    sub: Subscription,
    point_id: str,
    check: Callable[[Observation], bool] = lambda o: True,
    within_s: float = 5.0,
) -> Observation:
    """The next observation of a point that passes `check` (others are skipped)."""
    return await next_observation(sub, lambda o: o.point == point_id and check(o), within_s)


@contextlib.asynccontextmanager
async def devices(*peers: PeerDevice) -> AsyncIterator[tuple[PeerDevice, ...]]:
    """Peers answering for the body of the block, stopped after it."""
    for peer in peers:
        await peer.start()
    try:
        yield peers
    finally:
        for peer in peers:
            await peer.stop()
