"""The twin alone, as real equipment: its connection sheet, and scenarios sent to it by MQTT."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from penworks.broker import EmbeddedBroker
from penworks.config import load_platform_config
from penworks.core import ConfigError, SimClock
from penworks.demo import send_scenario
from penworks.sim.building import Building
from penworks.sim.run import RunningTwin
from penworks.sim.scenarios import ScenarioKind
from tests.conftest import free_port

pytestmark = pytest.mark.integration

T0 = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)


async def test_scenarios_sent_over_mqtt_are_injected_or_refused() -> None:
    async with EmbeddedBroker() as broker:
        building = Building(T0, [])  # no devices: only the control topic matters here
        twin = RunningTwin(building, SimClock(T0), broker.url)
        await twin.start()
        try:
            answer: dict[str, object] = {}
            async with asyncio.timeout(20):
                while not answer.get("ok"):  # the twin's listener subscribes in the background
                    with contextlib.suppress(ConfigError):
                        answer = await send_scenario(
                            broker.url, "meeting_no_show", "f3/m301", 900, timeout_s=2
                        )
            assert "meeting_no_show at f3/m301" in str(answer["detail"])
            (scheduled,) = building.scenarios.scheduled()
            assert (scheduled.kind, scheduled.target) == (ScenarioKind.MEETING_NO_SHOW, "f3/m301")
            refused = await send_scenario(broker.url, "meteor", "f3/m301", None)
            assert refused["ok"] is False
            assert "unknown scenario" in str(refused["detail"])
        finally:
            await twin.stop()


async def test_the_twin_writes_a_platform_config_that_reaches_it(tmp_path: Path) -> None:
    async with EmbeddedBroker() as broker:
        config = tmp_path / "penworks.yaml"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "penworks", "sim", "--broker", broker.url, "--speed", "60",
            "--duration", "8", "--write-config", str(config), "--truth", str(tmp_path / "t.jsonl"),
            "--modbus-port", str(free_port()), "--bacnet-port", "0",
            "--opcua-port", str(free_port()),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), 90)
        assert process.returncode == 0, output.decode()
    assert "Building 15 twin at 60x" in output.decode()
    loaded = load_platform_config(config)
    kinds = [type(c).__name__ for c in loaded.connectors]
    assert kinds == [
        "MqttConnectorConfig",
        "ModbusConnectorConfig",
        "BacnetConnectorConfig",
        "OpcuaConnectorConfig",
    ]
    assert (tmp_path / "t.jsonl").read_text().count('"type": "occupancy"') >= 1
