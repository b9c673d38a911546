"""Positioning: each locator gateway lists exactly the tags in its space."""

from __future__ import annotations

import pytest

from penworks.sim.devices import Refusal, Refused
from penworks.sim.systems.positioning import MAX_LISTED, Positioning
from tests.unit.sim.test_spaces_support import SEED, working_day


def gateway(place: str) -> str:
    floor, space = place.split("/")
    return f"rtls_{floor}_{space}"


def test_each_gateway_lists_exactly_the_tags_in_its_space() -> None:
    day = working_day()
    positioning = day.system("positioning")
    assert isinstance(positioning, Positioning)
    places = {d.location for d in positioning.devices()}
    checked = 0
    for _, values, where in day.snapshots:
        present: dict[str, list[str]] = {p: [] for p in places}
        for tag, place in where.items():
            present[place].append(tag)
        for place, tags in present.items():
            reading = values[gateway(place)]
            listed = str(reading["tags"]).split(",") if reading["tags"] else []
            assert reading["tag_count"] == len(tags), place
            assert listed == sorted(tags)[:MAX_LISTED], place
            assert reading["visitors"] == sum(t.startswith("vtag") for t in tags)
            low = str(reading["low_battery"]).split(",") if reading["low_battery"] else []
            assert set(low) <= set(tags)
            assert low == [t for t in sorted(tags) if positioning.low_battery(t)]
            checked += len(tags)
    assert checked > 10_000


def test_visitors_are_located_too() -> None:
    seen = max(
        int(v[gateway(p)]["visitors"])
        for _, v, _ in working_day().snapshots
        for p in ("f1/lobby", "f2/m201", "f3/m301", "f4/m401")
    )
    assert seen >= 1


def test_a_few_tags_have_a_low_battery_and_the_seed_says_which() -> None:
    people = working_day().building.people
    tags = [p.tag for p in people.persons]
    low = [t for t in tags if Positioning(SEED).low_battery(t)]
    assert 0 < len(low) < 0.1 * len(tags)
    assert low == [t for t in tags if Positioning(SEED).low_battery(t)]
    assert low != [t for t in tags if Positioning(SEED + 1).low_battery(t)]
    assert not Positioning(SEED).low_battery("vtag00001")


def test_gateways_take_no_writes() -> None:
    with pytest.raises(Refused) as refused:
        Positioning(SEED).devices()[0].write("tags", "")
    assert refused.value.refusal is Refusal.READ_ONLY
