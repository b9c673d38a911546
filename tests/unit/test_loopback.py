"""The twin and the platform in one process, in lockstep: the SteppedClock, the TwinLink's
values, COV and faults, and the whole platform run for a simulated hour."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.bus import MemoryBus, Overflow
from penworks.config import DEFAULT_SITE, ApiConfig, PlatformConfig, site_automation
from penworks.connectors import DeviceState
from penworks.control import Actor, ActorKind, CommandRequest, CommandStatus
from penworks.core import CommandRejected, ConnectorError, Observation, Quality
from penworks.core.clock import SteppedClock
from penworks.loopback import Lockstep, TwinLink, platform_on_twin, running
from penworks.model import SiteModel
from penworks.model.schema import HealthBinding, ScheduleBinding
from penworks.runtime import Platform
from penworks.sim.building import Building
from penworks.sim.twin import building15

START = datetime(2026, 7, 14, 0, 0, tzinfo=UTC)  # a Tuesday, 08:00 in Shanghai
ZONE_TEMP = "b15.f3.r301.zone_air_temp"  # BACnet analog-input with a COV increment
MAIN_ENERGY = "b15.b1.elec.main_meter.energy_import"  # Modbus uint32, 0.01 kWh a step
LIGHT = "b15.f3.r301.light.level"  # MQTT, 0..100 %
LIGHT_MODE = "b15.f3.r301.light.mode"  # MQTT text: auto, manual, off
DAMPER = "b15.f3.r301.vav.damper_command"  # BACnet analog-output with a priority-array
OPERATOR = Actor(ActorKind.OPERATOR, "li.wei")


@pytest.fixture(scope="module")
def model() -> SiteModel:
    return SiteModel.load(DEFAULT_SITE)


# -- the clock ------------------------------------------------------------------------------


async def test_sleepers_wake_when_their_time_has_passed_in_due_order() -> None:
    clock = SteppedClock(START)
    woke: list[tuple[str, datetime]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("c", 90), ("a", 30), ("b", 60))]
    await asyncio.sleep(0)
    assert clock.sleepers == 3
    assert clock.next_due() == START + timedelta(seconds=30)
    clock.advance(59)
    await asyncio.sleep(0)
    assert woke == [("a", START + timedelta(seconds=59))]
    clock.advance_to(START + timedelta(minutes=5))
    await asyncio.gather(*tasks)
    assert [name for name, _ in woke] == ["a", "b", "c"]
    assert clock.sleepers == 0


async def test_a_cancelled_sleeper_is_forgotten_and_time_never_goes_back() -> None:
    clock = SteppedClock(START)
    task = asyncio.create_task(clock.sleep(10))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.sleepers == 0
    assert clock.advance(10) == START + timedelta(seconds=10)
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance_to(START)


# -- the link alone -------------------------------------------------------------------------


@dataclass
class Published:
    """What one sync published: observations by point, health reports by subject."""

    obs: dict[str, list[Observation]] = field(default_factory=dict)
    health: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(map(len, self.obs.values())) + sum(map(len, self.health.values()))


@dataclass
class Bench:
    """A building, its link on a bus, and everything published on the bus."""

    building: Building
    clock: SteppedClock
    bus: MemoryBus
    link: TwinLink

    @classmethod
    def make(cls, model: SiteModel, heartbeat_s: float | None = None) -> Bench:
        building = building15(START)
        clock = SteppedClock(START)
        bus = MemoryBus()
        link = TwinLink(building.devices(), model, bus, clock, heartbeat_s=heartbeat_s)
        return cls(building, clock, bus, link)

    async def sync(self) -> Published:
        """Sync, and what that published."""
        sub = self.bus.subscribe(">", name="test", maxsize=100_000, overflow=Overflow.BLOCK)
        await self.link.sync()
        await sub.close()
        published = Published()
        async for subject, message in sub:
            if isinstance(message, Observation):
                published.obs.setdefault(message.point, []).append(message)
            elif isinstance(message, dict):
                published.health.setdefault(subject, []).append(message)
        return published

    def step(self, seconds: float = 60) -> None:
        self.building.advance_to(self.building.now + timedelta(seconds=seconds))
        self.clock.advance_to(self.building.now)


def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def test_the_link_owns_every_point_bound_to_a_device_and_no_other(model: SiteModel) -> None:
    link = Bench.make(model).link
    owned = set(link.point_ids())
    device_bound = {
        p.id
        for p in model.points()
        if (b := model.binding(p.id)) is not None
        and not isinstance(b, HealthBinding | ScheduleBinding)
    }
    assert owned == device_bound
    assert link.stats()["devices"] == 266


async def test_values_cross_as_through_the_protocols(model: SiteModel) -> None:
    bench = Bench.make(model)
    first = await bench.sync()
    assert len(first.obs) == len(bench.link.point_ids())  # every point, once
    temp, energy = first.obs[ZONE_TEMP][0], first.obs[MAIN_ENERGY][0]
    assert (temp.ts, temp.quality) == (START, Quality.GOOD)
    assert isinstance(temp.value, float)
    assert temp.value == _float32(temp.value)  # a BACnet Real
    assert isinstance(energy.value, float)
    raw = round(energy.value / 0.01)  # a register of hundredths of a kWh
    assert energy.value == raw * 0.01
    device = bench.building.device("power_meter_main")
    assert abs(energy.value - float(device.get("energy_import"))) <= 0.005
    assert first.obs[LIGHT_MODE][0].value in ("auto", "manual", "off")
    assert isinstance(first.obs["b15.f3.r301.light.occupied"][0].value, bool)
    assert first.health["health.modbus"][0]["state"] == "online"


async def test_after_the_first_sync_only_changes_go_out_and_small_ones_wait(
    model: SiteModel,
) -> None:
    bench = Bench.make(model)
    await bench.sync()
    assert len(await bench.sync()) == 0  # nothing changed
    vav = bench.building.device("vav_r301")
    bacnet = vav.type.spec("zone_temp").bacnet
    assert bacnet is not None
    cov = bacnet.cov_increment
    assert cov is not None
    start = float(vav.get("zone_temp"))
    vav.set("zone_temp", start + cov / 2)
    assert ZONE_TEMP not in (await bench.sync()).obs
    vav.set("zone_temp", start + cov * 1.5)
    moved = await bench.sync()
    assert [o.value for o in moved.obs[ZONE_TEMP]] == [_float32(start + cov * 1.5)]
    bench.step()
    assert 100 < len(await bench.sync()) < 1_000


async def test_a_point_quiet_for_the_heartbeat_is_published_again(model: SiteModel) -> None:
    bench = Bench.make(model, heartbeat_s=120)
    await bench.sync()
    quiet = "b15.b1.elec.main_meter.energy_export"  # no feed-in: it stays where it is
    seen = []
    for _ in range(4):
        bench.step()
        seen += [o.ts for o in (await bench.sync()).obs.get(quiet, [])]
    assert seen == [START + timedelta(minutes=2), START + timedelta(minutes=4)]


async def test_a_device_that_stops_answering_goes_bad_once_and_comes_back(
    model: SiteModel,
) -> None:
    bench = Bench.make(model)
    await bench.sync()
    vav = bench.building.device("vav_r301")
    vav.online = False
    gone = await bench.sync()
    assert [o.quality for o in gone.obs[ZONE_TEMP]] == [Quality.BAD]
    assert gone.health["health.bacnet"][0]["state"] == "offline"
    assert ZONE_TEMP not in (await bench.sync()).obs  # said once
    last = gone.obs[ZONE_TEMP][0].value
    assert await bench.link.read(ZONE_TEMP) == Observation(ZONE_TEMP, START, last, Quality.BAD)
    vav.online = True
    back = await bench.sync()
    assert [o.quality for o in back.obs[ZONE_TEMP]] == [Quality.GOOD]
    assert back.health["health.bacnet"][0]["state"] == "online"


async def test_writes_reach_the_device_and_refusals_come_back(model: SiteModel) -> None:
    bench = Bench.make(model)
    await bench.sync()
    light = bench.building.device("light_f3_r301")
    await bench.link.write(LIGHT, 35.0)
    assert light.get("level") == 35.0
    with pytest.raises(ConnectorError, match="out_of_range"):
        await bench.link.write(LIGHT_MODE, "disco")
    with pytest.raises(CommandRejected, match="not a point of connector twin"):
        await bench.link.write("b15.f3.r301.nothing", 1)
    with pytest.raises(CommandRejected, match="not writable"):
        await bench.link.write(ZONE_TEMP, 21.0)
    # A BACnet output arbitrates its own levels: the lower level shows once the upper goes.
    vav = bench.building.device("vav_r301")
    await bench.link.write(DAMPER, 40.0, 12)
    await bench.link.write(DAMPER, 70.0, 8)
    assert vav.get("damper_command") == 70.0
    await bench.link.relinquish(DAMPER, 8)
    assert vav.get("damper_command") == 40.0
    fcu = bench.building.device("fcu_s301")
    await bench.link.write("b15.f3.s301.fcu.setpoint", 22.37)  # int16 tenths of a degree
    assert fcu.get("setpoint") == 22.4
    with pytest.raises(CommandRejected, match="priority array"):
        await bench.link.relinquish("b15.f3.s301.fcu.setpoint")


async def test_the_link_is_a_connector_that_is_online_while_it_runs(model: SiteModel) -> None:
    link = Bench.make(model).link
    task = asyncio.create_task(link.run())
    await link.wait_state(DeviceState.ONLINE)
    assert {h.connector for h in link.health()} == {"modbus", "bacnet"}
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await link.wait_state(DeviceState.OFFLINE)


# -- the whole platform ---------------------------------------------------------------------


def _config(data: Path) -> PlatformConfig:
    return PlatformConfig(
        site=DEFAULT_SITE,
        data_dir=data,
        connectors=[],
        api=ApiConfig(port=0),
        automation=site_automation(DEFAULT_SITE),
    )


@pytest.fixture
async def platform(model: SiteModel, tmp_path: Path) -> AsyncIterator[tuple[Platform, Lockstep]]:
    platform, lockstep = platform_on_twin(_config(tmp_path), building15(START), model)
    async with running(platform):
        yield platform, lockstep


async def test_an_hour_of_the_building_reaches_history_at_the_instants_of_the_syncs(
    platform: tuple[Platform, Lockstep],
) -> None:
    platform_, lockstep = platform
    seen: list[datetime] = []
    end = START + timedelta(hours=1)
    run = await lockstep.run_until(end, progress=lambda p: seen.append(p.now))
    assert (run.syncs, run.end, run.unsettled) == (60, end, 0)
    assert seen == [START + timedelta(minutes=m) for m in range(1, 61)]
    for point in (ZONE_TEMP, MAIN_ENERGY):
        stored = await platform_.history.range(point, START, START + timedelta(hours=2))
        assert len(stored) > 1, point
        assert stored[0].ts == START
        assert all((o.ts - START) % timedelta(minutes=1) == timedelta(0) for o in stored)
    energy = await platform_.history.range(MAIN_ENERGY, START, START + timedelta(hours=2))
    assert len(energy) == 61  # the building draws power all the time: every minute counts
    assert energy[-1].value > energy[0].value
    assert platform_.unreachable == []
    assert platform_.writer.stats().observations >= run.observations


async def test_commands_are_confirmed_by_the_twin_and_refusals_fail(
    platform: tuple[Platform, Lockstep],
) -> None:
    platform_, lockstep = platform
    await lockstep.run_until(START + timedelta(minutes=2))
    control = platform_.automation.control
    done = await control.submit(CommandRequest(LIGHT, 35.0, 8, OPERATOR, "test"))
    assert done.status is CommandStatus.CONFIRMED, done.detail
    assert lockstep.building.device("light_f3_r301").get("level") == 35.0
    refused = await control.submit(CommandRequest(LIGHT_MODE, "disco", 8, OPERATOR, "test"))
    assert refused.status is CommandStatus.FAILED
    assert "disco" in refused.detail
    damper = await control.submit(CommandRequest(DAMPER, 55.0, 8, OPERATOR, "test"))
    assert damper.status is CommandStatus.CONFIRMED, damper.detail
    assert lockstep.building.device("vav_r301").get("damper_command") == 55.0
    await lockstep.run_until(START + timedelta(minutes=4))
    now = START + timedelta(minutes=2)
    stored = await platform_.history.range(LIGHT, now, now + timedelta(seconds=1))
    assert [o.value for o in stored] == [35.0]


async def _history(model: SiteModel, data: Path, points: list[str]) -> list[list[object]]:
    platform, lockstep = platform_on_twin(_config(data), building15(START, seed=7), model)
    async with running(platform):
        await lockstep.run_until(START + timedelta(minutes=30))
        end = START + timedelta(hours=1)
        found = [await platform.history.range(p, START, end) for p in points]
    return [[(o.ts, o.value, o.quality) for o in observations] for observations in found]


async def test_the_same_seed_gives_the_same_history(model: SiteModel, tmp_path: Path) -> None:
    points = [ZONE_TEMP, MAIN_ENERGY, LIGHT, "b15.f3.r301.iaq.co2"]
    first = await _history(model, tmp_path / "a", points)
    second = await _history(model, tmp_path / "b", points)
    assert all(len(found) > 1 for found in first)
    assert first == second
