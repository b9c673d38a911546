"""From a device to live values: discover it, take the draft as it is, run the platform on it.

For each protocol the peer is the library's own server side (pymodbus with a SunSpec
inverter, a bacpypes3 controller, an asyncua server with lifts). `penworks discover` writes
a draft site and a connector config; the platform runs on exactly those files (only the
poll interval and, for BACnet, the local port changed, as a person would for a test bench)
and serves the device's values, its health and its comm_loss point over the API.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from penworks.config import load_platform_config
from penworks.core import RealClock
from penworks.model import SiteModel
from penworks.runtime import Platform
from tests.conftest import add_operator, free_port, sign_in
from tests.unit.connectors.bacnet.peer import PeerDevice
from tests.unit.connectors.bacnet.support import devices as bacnet_running
from tests.unit.connectors.bacnet.support import free_port as free_udp_port
from tests.unit.connectors.modbus.support import END, SUNS, common_model, inverter_model
from tests.unit.connectors.modbus.support import Peer as ModbusPeer
from tests.unit.connectors.modbus.support import running as modbus_running
from tests.unit.connectors.opcua.peer import running_peer as opcua_running

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Case:
    protocol: str
    peer: Callable[[], AbstractAsyncContextManager[str]]  # yields the discovery target
    tune: Callable[[dict[str, Any]], None]  # what a person edits in the connector config
    point: str  # a point of the draft, its value, and the device as /api/devices names it
    value: object
    device: str


@asynccontextmanager
async def modbus_inverter() -> AsyncIterator[str]:
    holding = {40000: SUNS + common_model() + inverter_model() + END}
    async with modbus_running(ModbusPeer(holding=holding)) as peer:
        yield peer.target


@asynccontextmanager
async def bacnet_controller() -> AsyncIterator[str]:
    async with bacnet_running(PeerDevice(1501, free_udp_port(), name="AHU-1 Controller")) as peers:
        yield peers[0].address


@asynccontextmanager
async def opcua_lifts() -> AsyncIterator[str]:
    async with opcua_running(free_port()) as peer:
        yield peer.url


def fast_modbus(config: dict[str, Any]) -> None:
    config["devices"][0]["poll_s"] = 0.2


def fast_bacnet(config: dict[str, Any]) -> None:
    config["address"] = f"127.0.0.1/32:{free_udp_port()}"  # a port of its own on this machine
    config["devices"][0]["poll_s"] = 0.2


def fast_opcua(config: dict[str, Any]) -> None:
    config["servers"][0]["publishing_ms"] = 100


CASES = [
    Case(
        "modbus",
        modbus_inverter,
        fast_modbus,
        "draft.unplaced.penworks_pv_10.ac_power",
        5.0,
        "penworks_pv_10",
    ),
    Case(
        "bacnet",
        bacnet_controller,
        fast_bacnet,
        "draft.unplaced.ahu_1_controller.zone_temp",
        21.5,
        "1501",
    ),
    Case(
        "opcua",
        opcua_lifts,
        fast_opcua,
        "draft.unplaced.lift2.position",
        3.0,
        "building_15_lifts",
    ),
]


async def discover_cli(protocol: str, target: str, out: Path, config_out: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "penworks", "discover", protocol, "--target", target,
        "--out", str(out), "--config-out", str(config_out), "--timeout", "2",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output.decode()


@asynccontextmanager
async def platform_on(config_file: Path) -> AsyncIterator[str]:
    config = load_platform_config(config_file)
    await add_operator(config.data_dir)
    platform = Platform(config, RealClock(), SiteModel.load(config.site))
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(platform.run(on_ready=ready.set_result))
    try:
        yield await asyncio.wait_for(ready, 30)
    finally:
        platform.request_stop()
        await asyncio.wait_for(task, 30)


async def latest(client: httpx.AsyncClient, point: str) -> dict[str, Any]:
    """The point's latest value, once it has one."""
    async with asyncio.timeout(15):
        while True:
            response = await client.get(f"/api/points/{point}/latest")
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            assert response.status_code == 404, response.text
            await asyncio.sleep(0.1)  # noqa: ASYNC110  # polling an HTTP API for a value


@pytest.mark.parametrize("case", CASES, ids=[c.protocol for c in CASES])
async def test_a_discovered_draft_runs_as_it_is(case: Case, tmp_path: Path) -> None:
    site_file, connector_file = tmp_path / "draft.yaml", tmp_path / "connector.yaml"
    async with case.peer() as target:
        output = await discover_cli(case.protocol, target, site_file, connector_file)
        assert re.search(r"^found \d+ devices, \d+ points", output, re.MULTILINE), output
        assert site_file.read_text().startswith(
            f"# Draft site model: `penworks discover {case.protocol}"
        )
        connectors = yaml.safe_load(connector_file.read_text())
        case.tune(connectors[0])
        config_file = tmp_path / "penworks.yaml"
        config_file.write_text(
            yaml.safe_dump({"site": site_file.name, "connectors": connectors, "api": {"port": 0}})
        )
        async with platform_on(config_file) as url, httpx.AsyncClient(base_url=url) as client:
            await sign_in(client)
            seen = await latest(client, case.point)
            assert seen["value"] == pytest.approx(case.value)
            assert seen["quality"] == "good"
            holder = case.point.rsplit(".", 1)[0]
            assert (await latest(client, f"{holder}.comm_loss"))["value"] is False
            devices = (await client.get(f"/api/devices?connector={case.protocol}")).json()
            assert [(d["device"], d["state"]) for d in devices] == [(case.device, "online")]
