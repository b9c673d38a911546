"""The same app on two different buildings: Building 15 and Cedar House.

The comfort watch finds its zones by Brick class and place only; run by the AppHost on each
site with observations published on the bus, it counts each building's zones and those out
of band, and raises (and clears) its alarm for a zone too warm.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.bus import observation_subject
from penworks.config import AppConfig
from penworks.core import Observation
from penworks.model import SiteModel
from penworks.rules import AlarmState
from tests.unit.apps.sample_app import ComfortWatch
from tests.unit.apps.support import BUILDING15, CEDAR_HOUSE, Hosting, hosting
from tests.unit.control.support import eventually

SITES = {
    "building15": (BUILDING15, 21, "b15."),
    "cedar_house": (CEDAR_HOUSE, 5, "ch."),
}


@pytest.fixture(scope="module", params=sorted(SITES))
def site(request: pytest.FixtureRequest) -> tuple[SiteModel, int, str]:
    path, zones, prefix = SITES[request.param]
    assert isinstance(path, Path)
    return SiteModel.load(path), zones, prefix


async def publish(running: Hosting, point: str, value: float) -> None:
    observation = Observation(point, running.control.clock.now(), value)
    await running.control.bus.publish(observation_subject(point), observation)


async def test_the_same_app_counts_each_buildings_zones(site: tuple[SiteModel, int, str]) -> None:
    model, expected, prefix = site
    app = ComfortWatch()
    async with hosting(model, {"comfort": AppConfig()}, app) as running:
        events = running.control.bus.subscribe("event.app.comfort.>", name="test-app-events")
        await app.ready.wait()
        zones = list(app.zones.values())
        assert len(zones) == expected
        assert all(z.sensor.id.startswith(prefix) for z in zones)
        for zone in zones:
            await publish(running, zone.setpoint, 22.0)
            await publish(running, zone.sensor.id, 22.5)
        hot, off = zones[0], zones[-1]
        await publish(running, hot.sensor.id, 26.0)  # 4 K over: too warm, alarm
        await publish(running, off.sensor.id, 20.0)  # 2 K under: out of band only
        alarm_id = f"app.comfort.too_warm:{hot.sensor.id}"
        await eventually(lambda: app.out_of_band() == 2 and alarm_id in app_alarms(running))
        view = running.alarms.get(alarm_id)
        assert view.rule == "app.comfort.too_warm"
        assert view.state is AlarmState.UNACK_ACTIVE
        assert view.area == running_places(model, hot.sensor.id)
        [(subject, event)] = await events.batch(10)
        assert subject == "event.app.comfort.zone_too_warm"
        assert isinstance(event, dict)
        assert event["point"] == hot.sensor.id

        await publish(running, hot.sensor.id, 22.0)
        await eventually(lambda: not running.alarms.get(alarm_id).active)
        assert app.out_of_band() == 1
        [status] = running.host.statuses()
        assert (status.id, status.running, status.restarts) == ("comfort", True, 0)


def app_alarms(running: Hosting) -> set[str]:
    return {a.id for a in running.alarms.alarms()}


def running_places(model: SiteModel, point: str) -> str:
    """The alarm's area: the point's floor."""
    entity = model.entity(model.point(point).holder)
    while entity.kind.value != "floor":
        assert entity.parent is not None
        entity = model.entity(entity.parent)
    return entity.id


def test_the_second_site_is_a_different_building() -> None:
    b15, cedar = SiteModel.load(BUILDING15), SiteModel.load(CEDAR_HOUSE)
    assert not {p.id for p in b15.points()} & {p.id for p in cedar.points()}
    assert {t.id for t in cedar.definition.tenants} == {"birch", "alder"}
    assert [e.id for e in cedar.find_entities(brick="Rooftop_Unit")] == [
        "ch.l1.plantroom.rtu1",
        "ch.l2.riser.rtu2",
    ]
