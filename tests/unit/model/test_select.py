"""Point selectors: by id, class, place, pattern, what equipment serves, and the anchor."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from penworks.core import ModelError, UnknownPointError
from penworks.model import SiteModel, UnknownEntityError
from penworks.model.select import PointSelector, anchor_places, select_points


def _ids(model: SiteModel, anchor: str | None = None, **fields: str) -> list[str]:
    point = model.point(anchor) if anchor else None
    return [p.id for p in select_points(model, PointSelector(**fields), point)]


def test_class_and_place(building15: SiteModel) -> None:
    found = _ids(building15, brick="Zone_Air_Temperature_Sensor", within="b15.f3")
    assert found
    assert all(p.startswith("b15.f3.") for p in found)
    assert "b15.f3.r301.zone_air_temp" in found or any(".r301." in p for p in found)


def test_one_point_by_id_and_a_class_that_does_not_fit(building15: SiteModel) -> None:
    lock = "b15.f1.door_main.locked"
    assert _ids(building15, point=lock) == [lock]
    assert _ids(building15, point=lock, brick="Temperature_Sensor") == []
    with pytest.raises(UnknownPointError):
        _ids(building15, point="b15.nowhere.locked")


def test_placeholders_resolve_against_the_anchor(building15: SiteModel) -> None:
    zone = "b15.f2.fire_zone"
    assert anchor_places(building15, building15.point(zone)) == {
        "holder": "b15.f2",
        "floor": "b15.f2",
        "building": "b15",
    }
    locks = _ids(building15, zone, match="*.door_*.locked", within="{floor}")
    assert locks
    assert all(p.startswith("b15.f2.door_") for p in locks)


def test_serving_follows_feeds_through_equipment(building15: SiteModel) -> None:
    fans = _ids(
        building15,
        "b15.f1.fire_zone",
        brick="Start_Stop_Command",
        serving="{floor}",
        equipment_brick="Air_Handling_Unit",
    )
    assert fans == ["b15.roof.roof.ahu1.supply_fan.start_stop"]
    upper = _ids(building15, "b15.f3.fire_zone", brick="Start_Stop_Command", serving="{floor}")
    assert "b15.roof.roof.ahu2.supply_fan.start_stop" in upper
    assert "b15.roof.roof.ahu1.supply_fan.start_stop" not in upper


def test_a_placeholder_needs_an_anchor_that_has_the_place(building15: SiteModel) -> None:
    selector = PointSelector(brick="Command", within="{space}")
    assert selector.needs_anchor
    with pytest.raises(ModelError, match="needs an anchor"):
        select_points(building15, selector)
    with pytest.raises(ModelError, match="space"):
        select_points(building15, selector, building15.point("b15.f2.fire_zone"))


def test_unknown_names_are_errors(building15: SiteModel) -> None:
    with pytest.raises(UnknownEntityError):
        _ids(building15, within="b15.f9")
    with pytest.raises(ModelError):
        _ids(building15, brick="Not_A_Brick_Class")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({}, "at least one"), ({"within": "{room}"}, "placeholders are"), ({"bogus": "x"}, "extra")],
)
def test_bad_selectors_are_refused(fields: dict[str, str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        PointSelector(**fields)
