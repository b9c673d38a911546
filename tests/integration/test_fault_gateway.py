"""A gateway process killed (SIGKILL) while numbered QoS 1 observations flow, then started
again: every number is stored, none twice.

The gateway acknowledges a message to the broker only once NATS has it (or its spool
does), and its named session keeps what it had not acknowledged, so the new process gets
those again; NATS's message-id dedup and the store's (point, ts) key keep them once. The
short form of `bench/faults.py gateway` (100,000 observations there). The broker is one of
the test's own; NATS and PostgreSQL are the machine's, under names of the test's own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import pytest

from penworks.bus import NatsBus, NatsSettings
from tests.conftest import require_service
from tests.integration.own_servers import OwnMosquitto
from tests.integration.test_fault_mqtt_broker import DEVICES, NumberedPublisher
from tests.integration.test_park_history import (
    drop_park,
    end,
    park_config,
    start_role,
    stored,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENT_ID = "faults-gateway"


@dataclass(frozen=True)
class GatewayDrill:
    numbers: list[int]  # the numbers stored
    published_s: float
    stored_s: float


async def _open_session(port: int) -> None:
    """The gateway's broker session, subscribed as the gateway subscribes, before anything
    is published: the broker keeps every number for it from the first one on."""
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier=CLIENT_ID, clean_session=False
    ) as client:
        await client.subscribe([(f"faults/d{d}", 1) for d in range(DEVICES)])


async def gateway_drill(folder: Path, count: int, timeout_s: float = 60) -> GatewayDrill:
    """`count` numbered QoS 1 observations through a gateway killed halfway and restarted,
    into a history process on NATS and PostgreSQL."""
    tag = uuid.uuid4().hex[:8]
    # Kept in memory: the broker is not the one killed here, and saving every change would
    # pace the devices down to what any gateway keeps up with.
    broker = OwnMosquitto(folder / "broker", durable=False)
    broker.start()
    mqtt = {"type": "mqtt", "url": broker.url, "client_id": CLIENT_ID, "qos": 1}
    config = park_config(folder, tag, [mqtt])
    settings = NatsSettings(stream_prefix=f"PARK{tag.upper()}", subject_prefix=f"park{tag}")
    processes: list[asyncio.subprocess.Process] = []
    restarted: list[concurrent.futures.Future[None]] = []
    try:
        await _open_session(broker.port)
        processes.append(await start_role(config, "history", folder / "history"))
        processes.append(await start_role(config, "gateway", folder / "gateway"))
        loop = asyncio.get_running_loop()

        async def start_again() -> None:
            processes.append(await start_role(config, "gateway", folder / "gateway"))

        def kill() -> None:
            processes[-1].send_signal(signal.SIGKILL)  # mid-flow: read, not all acknowledged
            restarted.append(asyncio.run_coroutine_threadsafe(start_again(), loop))

        began = time.perf_counter()
        publisher = NumberedPublisher(broker.port, count, {count // 2: kill}, timeout_s)
        publisher.start()
        await asyncio.to_thread(publisher.join, timeout_s * 2)
        if publisher.error is not None:
            raise publisher.error
        published = time.perf_counter() - began
        await asyncio.gather(*(asyncio.wrap_future(started) for started in restarted))
        with contextlib.suppress(TimeoutError):  # what is missing then is the finding
            async with asyncio.timeout(timeout_s):
                while len(await stored(f"park_{tag}")) < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.25)  # rows come from another process: poll them
        numbers = await stored(f"park_{tag}")
        return GatewayDrill(numbers, published, time.perf_counter() - began)
    finally:
        for process in processes:
            await end(process)
        broker.stop()
        bus = NatsBus(settings)
        await bus.connect()
        await drop_park(bus, tag)
        await bus.close()


async def test_a_killed_gateway_started_again_loses_no_number_and_stores_none_twice(
    tmp_path: Path,
) -> None:
    require_service("NATS", "127.0.0.1", 4222)
    require_service("PostgreSQL", "127.0.0.1", 5432)
    drill = await gateway_drill(tmp_path, 2_000)
    assert sorted(drill.numbers) == list(range(2_000))  # none missing, none twice
