from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from penworks.core import ModelError, Point, UnknownPointError
from penworks.model import Entity, EntityKind, Relation, SiteModel, UnknownEntityError


def ids(items: Sequence[Point | Entity]) -> list[str]:
    return [item.id for item in items]


def test_point_lookup(small_office: SiteModel) -> None:
    point = small_office.point("b15.f3.r301.zone_air_temp")
    assert point.brick == "Zone_Air_Temperature_Sensor"
    assert (point.holder, point.location, point.tenant) == ("b15.f3.r301",) * 2 + ("nib",)
    assert small_office.has_point(point.id)
    assert not small_office.has_point("b15.f3.r301")
    with pytest.raises(UnknownPointError):
        small_office.point("b15.f3.r999.zone_air_temp")


def test_equipment_points_are_located_in_the_space_and_inherit_its_tenant(
    small_office: SiteModel,
) -> None:
    setpoint = small_office.point("b15.f4.m401.vav.setpoint")
    assert (setpoint.holder, setpoint.location, setpoint.tenant) == (
        "b15.f4.m401.vav",
        "b15.f4.m401",
        "quill",
    )
    assert (setpoint.writable, setpoint.min, setpoint.max) == (True, 16.0, 30.0)
    assert small_office.point("b15.f1.lobby.lights.level").tenant is None
    assert small_office.entity("b15.f2.r202.vav").tenant == "inkwell"


def test_find_points_reasons_over_subclasses(small_office: SiteModel) -> None:
    temperature = small_office.find_points(brick="Temperature_Sensor")
    classes = {p.brick for p in temperature}
    assert classes == {
        "Zone_Air_Temperature_Sensor",
        "Supply_Air_Temperature_Sensor",
        "Outside_Air_Temperature_Sensor",
    }
    assert len(temperature) == 13 + 2
    # An equivalent class name finds the same points.
    assert ids(small_office.find_points(brick="Supply_Air_Flow_Sensor")) == ids(
        small_office.find_points(brick="Discharge_Air_Flow_Sensor")
    )
    # The setpoint is found under its deprecated name and under the name that replaces it.
    assert len(small_office.find_points(brick="Zone_Air_Temperature_Setpoint")) == 13
    assert len(small_office.find_points(brick="Target_Zone_Air_Temperature_Setpoint")) == 13


def test_find_points_within(small_office: SiteModel) -> None:
    in_room = ids(small_office.find_points(within="b15.f3.r301"))
    assert in_room == [
        "b15.f3.r301.zone_air_temp",
        "b15.f3.r301.zone_co2",
        "b15.f3.r301.vav.damper",
        "b15.f3.r301.vav.airflow",
        "b15.f3.r301.vav.setpoint",
        "b15.f3.r301.lights.level",
        "b15.f3.r301.lights.occupancy",
        "b15.f3.r301.lights.illuminance",
    ]
    assert len(small_office.find_points(within="b15.f3")) == 4 * 8
    for entity in small_office.entities():
        inside = ids(small_office.find_points(within=entity.id))
        assert len(inside) == len(set(inside)), entity.id
        assert all(i.startswith(entity.id + ".") for i in inside)
    assert len(small_office.find_points(within="b15")) == len(small_office.points())
    assert ids(small_office.find_points(brick="Temperature_Sensor", within="b15.f2.r201.vav")) == []
    assert ids(small_office.find_points(brick="Setpoint", within="b15.f2.r201.vav")) == [
        "b15.f2.r201.vav.setpoint"
    ]


def test_find_points_refuses_unknown_classes_and_places(small_office: SiteModel) -> None:
    with pytest.raises(ModelError, match="Temperature_Sensor"):
        small_office.find_points(brick="Temprature_Sensor")
    with pytest.raises(UnknownEntityError, match="b15.f9"):
        small_office.find_points(within="b15.f9")
    with pytest.raises(UnknownEntityError):
        small_office.find_points(within="b15.f3.r301.zone_air_temp")


def test_find_entities(small_office: SiteModel) -> None:
    assert len(small_office.find_entities(brick="VAV")) == 13
    assert ids(small_office.find_entities(brick="Meter")) == [
        "b15.b1.elec.main",
        "b15.b1.elec.hvac",
        "b15.b1.elec.lighting",
        "b15.b1.elec.plug",
    ]
    assert ids(small_office.find_entities(within="b15.f2.r201")) == [
        "b15.f2.r201.vav",
        "b15.f2.r201.lights",
    ]
    spaces = small_office.find_entities(brick="Location", within="b15.f4")
    assert [e.kind for e in spaces] == [EntityKind.SPACE] * 3


def test_entity(small_office: SiteModel) -> None:
    floor = small_office.entity("b15.b1")
    assert (floor.kind, floor.level, floor.brick, floor.parent) == (
        EntityKind.FLOOR,
        -1,
        "Basement",
        "b15",
    )
    room = small_office.entity("b15.f2.m201")
    assert (room.local_id, room.name, room.area_m2, room.tenant) == (
        "m201",
        "Meeting room 201",
        80.0,
        "inkwell",
    )
    with pytest.raises(UnknownEntityError, match="b15.nowhere"):
        small_office.entity("b15.nowhere")


def test_feeds_and_fed_by(small_office: SiteModel) -> None:
    assert ids(small_office.fed_by("b15.f3.r302")) == ["b15.f3.r302.vav"]
    assert ids(small_office.feeds("b15.f3.r302.vav")) == ["b15.f3.r302"]
    assert ids(small_office.fed_by("b15.f3.r302.vav")) == ["b15.roof.roof.ahu1"]
    assert len(small_office.feeds("b15.roof.roof.ahu1")) == 13
    assert ids(small_office.fed_by("b15.b1.elec.plug")) == ["b15.b1.elec.main"]
    assert small_office.feeds("b15.f3.r302") == []
    with pytest.raises(UnknownEntityError):
        small_office.feeds("b15.f3.r302.zone_air_temp")


def test_points_of_is_direct_points_only(small_office: SiteModel) -> None:
    assert ids(small_office.points_of("b15.f3.r301")) == [
        "b15.f3.r301.zone_air_temp",
        "b15.f3.r301.zone_co2",
    ]
    assert small_office.points_of("b15.f3") == []


def test_relations(small_office: SiteModel) -> None:
    relations = small_office.relations()
    assert Relation("b15", "hasPart", "b15.f3") in relations
    assert Relation("b15.f3", "hasPart", "b15.f3.r301") in relations
    assert Relation("b15.f3.r301", "isLocationOf", "b15.f3.r301.vav") in relations
    assert Relation("b15.f3.r301.vav", "hasPoint", "b15.f3.r301.vav.damper") in relations
    assert Relation("b15.f3.r301.vav", "feeds", "b15.f3.r301") in relations
    assert Relation("b15.roof.roof.ahu1", "feeds", "b15.f3.r301.vav") in relations
    assert len(relations) == len(set(relations))


def test_bindings(small_office: SiteModel) -> None:
    mqtt = small_office.bindings("mqtt")
    assert len(mqtt) == len(small_office.points())
    assert [p.id for p, _ in mqtt] == ids(small_office.points())
    assert small_office.bindings("modbus") == []
    with pytest.raises(UnknownPointError):
        small_office.binding("b15.nothing")


def test_summary_is_a_json_ready_tree(small_office: SiteModel) -> None:
    summary = json.loads(json.dumps(small_office.summary()))
    assert summary["id"] == "penpark"
    building = summary["buildings"][0]
    f2 = next(f for f in building["floors"] if f["id"] == "b15.f2")
    r201 = f2["spaces"][0]
    assert r201["id"] == "b15.f2.r201"
    assert r201["polygon"] == [[0, 0], [12, 0], [12, 20], [0, 20]]
    assert (r201["area_m2"], r201["tenant"], r201["fed_by"]) == (
        240,
        "inkwell",
        ["b15.f2.r201.vav"],
    )
    assert r201["points"] == ["b15.f2.r201.zone_air_temp", "b15.f2.r201.zone_co2"]
    vav = r201["equipment"][0]
    assert (vav["brick"], vav["feeds"]) == ("VAV", ["b15.f2.r201"])
    assert "b15.f2.r201.vav.setpoint" in vav["points"]
