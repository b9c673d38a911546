"""From a device to live values: discover it, take the draft as it is, run the platform on it.

The peer is pymodbus's own server holding a SunSpec inverter. `penworks discover modbus`
writes a draft site and a connector config; the platform runs on exactly those files and
serves the inverter's values, its device health and its comm_loss point over the API.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from penworks.config import load_platform_config
from penworks.core import RealClock
from penworks.model import SiteModel
from penworks.runtime import Platform
from tests.integration.test_modbus_discovery import END, SUNS, common_model, inverter_model
from tests.unit.connectors.modbus.support import Peer, running

pytestmark = pytest.mark.integration


async def discover_cli(target: str, out: Path, config_out: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "penworks", "discover", "modbus", "--target", target,
        "--out", str(out), "--config-out", str(config_out), "--timeout", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, output.decode()


@asynccontextmanager
async def platform_on(config_file: Path) -> AsyncIterator[str]:
    config = load_platform_config(config_file)
    platform = Platform(config, RealClock(), SiteModel.load(config.site))
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(platform.run(on_ready=ready.set_result))
    try:
        yield await asyncio.wait_for(ready, 30)
    finally:
        platform.request_stop()
        await asyncio.wait_for(task, 30)


async def latest(client: httpx.AsyncClient, point: str) -> dict[str, object]:
    """The point's latest value, once it has one."""
    async with asyncio.timeout(15):
        while True:
            response = await client.get(f"/api/points/{point}/latest")
            if response.status_code == 200:
                body: dict[str, object] = response.json()
                return body
            assert response.status_code == 404, response.text
            await asyncio.sleep(0.1)  # noqa: ASYNC110  # polling an HTTP API for a value


async def test_discovered_draft_runs_as_it_is(tmp_path: Path) -> None:
    holding = {40000: SUNS + common_model() + inverter_model() + END}
    async with running(Peer(holding=holding)) as peer:
        site_file, connector_file = tmp_path / "draft.yaml", tmp_path / "modbus.yaml"
        code, output = await discover_cli(peer.target, site_file, connector_file)
        assert code == 0, output
        assert "found 1 devices" in output
        assert site_file.read_text().startswith("# Draft site model: `penworks discover modbus")
        connectors = yaml.safe_load(connector_file.read_text())
        connectors[0]["devices"][0]["poll_s"] = 0.2  # faster than a real site, for the test
        config_file = tmp_path / "penworks.yaml"
        config_file.write_text(
            yaml.safe_dump(
                {
                    "site": site_file.name,
                    "data_dir": "data",
                    "connectors": connectors,
                    "api": {"port": 0},
                }
            )
        )
        base = "draft.unplaced.penworks_pv_10"
        async with platform_on(config_file) as url, httpx.AsyncClient(base_url=url) as client:
            power = await latest(client, f"{base}.ac_power")
            assert power["value"] == pytest.approx(5.0)
            assert power["quality"] == "good"
            point = (await client.get(f"/api/points/{base}.ac_power")).json()
            assert (point["brick"], point["unit"]) == ("Electric_Power_Sensor", "kW")
            comm_loss = await latest(client, f"{base}.comm_loss")
            assert comm_loss["value"] is False
            devices = (await client.get("/api/devices")).json()
            assert [(d["connector"], d["device"], d["state"]) for d in devices] == [
                ("modbus", "penworks_pv_10", "online")
            ]
            assert devices[0]["latency_ms"] > 0
