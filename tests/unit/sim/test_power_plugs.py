"""Plug loads follow the people at their desks; the server room's IT load does not."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ, Building
from penworks.sim.layout import TENANT_FLOORS
from penworks.sim.systems.plugs import IT_KW, Plugs
from penworks.sim.world import World
from tests.unit.sim.probing import Passive

THURSDAY = datetime(2026, 4, 16, tzinfo=SITE_TZ)


@dataclass
class Probe(Passive):
    name: str = "probe"
    rows: list[dict[str, float]] = field(default_factory=list)
    tags: set[tuple[str, str, str | None]] = field(default_factory=set)

    def step(self, world: World) -> None:
        by_system: dict[str, float] = defaultdict(float)
        for load in world.power.loads:
            by_system[load.system] += load.kw
            self.tags.add((load.system, load.floor, load.tenant))
        self.rows.append(
            {
                "hour": world.hour,
                "inside": world.people.inside(),
                "plug": by_system["plug"],
                "it": by_system["it"],
                "r301": float(world.shared["f3/r301.plug_kw"]),
                "r301_people": world.people.in_place("f3/r301"),
            }
        )


def run(seed: int = 15, hours: float = 24) -> Probe:
    probe = Probe()
    Building(THURSDAY, [Plugs(seed), probe], seed=seed).advance_to(
        THURSDAY + timedelta(hours=hours)
    )
    return probe


@pytest.fixture(scope="module")
def day() -> Probe:
    return run()


def test_plug_loads_follow_people(day: Probe) -> None:
    def mean(key: str, start: float, end: float) -> float:
        values = [r[key] for r in day.rows if start <= r["hour"] < end]
        return sum(values) / len(values)

    assert mean("plug", 10, 12) > 3 * mean("plug", 1, 4)
    busy = [r for r in day.rows if r["r301_people"] >= 10]
    empty = [r for r in day.rows if r["r301_people"] == 0]
    assert min(r["r301"] for r in busy) > max(r["r301"] for r in empty)


def test_the_it_load_is_steady(day: Probe) -> None:
    for row in day.rows:
        assert row["it"] == pytest.approx(IT_KW, rel=0.1)


def test_loads_are_tagged_with_their_floor_and_tenant(day: Probe) -> None:
    tenant_of = {floor: tenant for tenant, floor in TENANT_FLOORS.items()}
    for system, floor, tenant in day.tags:
        assert system in ("plug", "it")
        assert tenant == tenant_of.get(floor)
    assert ("it", "f1", None) in day.tags
    assert {floor for _, floor, _ in day.tags} == {"f1", "f2", "f3", "f4"}


def test_the_same_seed_gives_the_same_loads_and_another_does_not() -> None:
    first = run(15, 2).rows
    assert run(15, 2).rows == first
    assert run(16, 2).rows != first
