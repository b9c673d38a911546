"""The five security systems stepped together in the twin's order: deterministic, interacting."""

from __future__ import annotations

from penworks.core import Value
from penworks.sim.building import Building
from penworks.sim.systems.access import Access
from penworks.sim.systems.cctv import Cctv
from penworks.sim.systems.fire import Fire
from penworks.sim.systems.intrusion import Intrusion
from penworks.sim.systems.parking import Parking
from penworks.sim.world import System
from tests.unit.sim.test_security_support import MONDAY, at, building, run_until


def _systems(seed: int) -> list[System]:
    return [Fire(seed), Access(seed), Intrusion(seed), Cctv(seed), Parking(seed)]


def _run(seed: int) -> tuple[Building, dict[str, dict[str, Value]]]:
    b = building(_systems(seed), at(MONDAY, 1.0), seed=seed)
    b.inject("intruder", "roof/roof", at(MONDAY, 2.0))
    b.inject("tailgating", "f3", at(MONDAY, 9.0))
    b.inject("nuisance_smoke", "f3/r303", at(MONDAY, 12.5))
    b.inject("fire", "f1/hall", at(MONDAY, 15.0), duration_s=1200)
    run_until(b, at(MONDAY, 18.0))
    return b, {d.name: dict(d.values) for d in b.devices()}


def test_the_same_seed_gives_the_same_building_and_another_seed_another() -> None:
    _, first = _run(15)
    _, again = _run(15)
    _, other = _run(16)
    assert first == again
    differing = [name for name in first if first[name] != other[name]]
    assert len(differing) > len(first) // 2


def test_the_systems_act_on_each_other() -> None:
    b = building(_systems(15), at(MONDAY, 14.9))
    b.inject("fire", "f1/hall", at(MONDAY, 15.0), duration_s=1200)
    run_until(b, at(MONDAY, 15.2))
    fire, access, _, cctv, _ = b.systems
    assert isinstance(fire, Fire)
    assert isinstance(access, Access)
    assert isinstance(cctv, Cctv)
    assert b.shared["fire.floors"] == "f1"
    assert access.doors["main"].controller.get("mode") == "emergency-unlocked"
    hall = next(c for c in cctv.cameras if c.id == "hall").device
    assert hall.get("alert") == "fire"
