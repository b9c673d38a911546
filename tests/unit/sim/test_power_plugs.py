"""Plug loads follow the people at their desks; the server room's IT load does not."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import pytest

from penworks.sim.building import SITE_TZ
from penworks.sim.layout import TENANT_FLOORS
from penworks.sim.systems.plugs import IT_KW, Plugs
from penworks.sim.world import World
from tests.unit.sim.power_support import Row, mean, moment, run

THURSDAY = datetime(2026, 4, 16, tzinfo=SITE_TZ)
Tag = tuple[str, str, str | None]  # the system, floor and tenant a load is drawn for


@dataclass
class Day:
    rows: list[Row]
    tags: set[Tag]


def plug_loads(seed: int = 15, hours: float = 24) -> Day:
    """The plug and IT loads step by step, and every tag they were drawn with."""
    tags: set[Tag] = set()

    def take(world: World) -> Row:
        by_system: dict[str, float] = defaultdict(float)
        for load in world.power.loads:
            by_system[load.system] += load.kw
            tags.add((load.system, load.floor, load.tenant))
        return moment(world) | {
            "inside": world.people.inside(),
            "plug": by_system["plug"],
            "it": by_system["it"],
            "r301": float(world.shared["f3/r301.plug_kw"]),
            "r301_people": world.people.in_place("f3/r301"),
        }

    return Day(run(THURSDAY, hours, [Plugs(seed)], take, seed), tags)


@pytest.fixture(scope="module")
def day() -> Day:
    return plug_loads()


def test_plug_loads_follow_people(day: Day) -> None:
    assert mean(day.rows, "plug", 10, 12) > 3 * mean(day.rows, "plug", 1, 4)
    busy = [r for r in day.rows if r["r301_people"] >= 10]
    empty = [r for r in day.rows if r["r301_people"] == 0]
    assert min(r["r301"] for r in busy) > max(r["r301"] for r in empty)


def test_the_it_load_is_steady(day: Day) -> None:
    for row in day.rows:
        assert row["it"] == pytest.approx(IT_KW, rel=0.1)


def test_loads_are_tagged_with_their_floor_and_tenant(day: Day) -> None:
    tenant_of = {floor: tenant for tenant, floor in TENANT_FLOORS.items()}
    for system, floor, tenant in day.tags:
        assert system in ("plug", "it")
        assert tenant == tenant_of.get(floor)
    assert ("it", "f1", None) in day.tags
    assert {floor for _, floor, _ in day.tags} == {"f1", "f2", "f3", "f4"}


def test_the_same_seed_gives_the_same_loads_and_another_does_not() -> None:
    first = plug_loads(15, 2).rows
    assert plug_loads(15, 2).rows == first
    assert plug_loads(16, 2).rows != first
