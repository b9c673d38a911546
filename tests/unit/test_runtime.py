"""The runtime keeps the platform up when one connector's code fails: it restarts it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from penworks.config import PlatformConfig
from penworks.connectors import DeviceHealth, DeviceState, DiscoveredPoint
from penworks.core import Observation, RealClock, Value
from penworks.model import SiteModel
from penworks.runtime import Platform

SMALL_OFFICE = Path(__file__).resolve().parents[1] / "data" / "sites" / "small_office.yaml"


class FlakyConnector:
    """Fails the first time it runs, as a connector with a bug on a rare answer would."""

    name = "flaky"

    def __init__(self) -> None:
        self.runs = 0
        self.settled = asyncio.Event()

    async def run(self) -> None:
        self.runs += 1
        if self.runs == 1:
            raise TypeError("'NoneType' object is not iterable")
        self.settled.set()

    async def read(self, point_id: str) -> Observation | None:
        return None

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        return None

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        return None

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        return []

    async def wait_state(self, state: DeviceState) -> None:
        return None

    def health(self) -> list[DeviceHealth]:
        return []

    def stats(self) -> dict[str, int]:
        return {}


async def test_a_failing_connector_is_restarted_not_fatal(tmp_path: Path) -> None:
    config = PlatformConfig(site=SMALL_OFFICE, data_dir=tmp_path)
    platform = Platform(config, RealClock(), SiteModel.load(SMALL_OFFICE))
    flaky = FlakyConnector()
    await asyncio.wait_for(platform._supervise(flaky), 10)
    assert flaky.runs == 2
    assert platform.connector_restarts == {"flaky": 1}
    assert (await platform.status())["connector_restarts"] == {"flaky": 1}
