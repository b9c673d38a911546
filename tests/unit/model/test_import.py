"""Import of third-party Brick models (tests/data/brick), counted class by class."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.core import ConfigError
from penworks.model import BrickOntology, SiteModel, import_turtle, load_any, stats

from .conftest import BRICK_DATA

RELATIONS = ("hasPart", "hasPoint", "feeds", "isLocationOf")


def counts(model: SiteModel) -> tuple[dict[str, int], dict[str, int]]:
    rows = dict(stats(model))
    relations = {name: rows.pop(name) for name in RELATIONS}
    return rows, relations


def test_brick_11_namespace(ontology_11: BrickOntology) -> None:
    model = load_any(BRICK_DATA / "brick11_office.ttl", ontology_11)
    classes, relations = counts(model)
    assert classes == {
        "AHU": 1,
        "Building": 1,
        "Fan_Status": 1,
        "Floor": 2,
        "HVAC_Zone": 2,
        "Room": 2,
        "Supply_Air_Flow_Sensor": 2,
        "Supply_Air_Temperature_Sensor": 1,
        "Supply_Fan": 1,
        "VAV": 2,
        "Zone_Air_Temperature_Sensor": 2,
    }
    assert relations == {"hasPart": 7, "hasPoint": 6, "feeds": 4, "isLocationOf": 3}
    assert model.definition.id == "campus"
    assert model.definition.name == "Example campus"
    assert model.definition.brick_version == "1.1"
    # A room that is part of both its floor and a zone sits on the floor.
    assert model.entity("main_bldg.floor_1.room_101").parent == "main_bldg.floor_1"
    assert [e.id for e in model.fed_by("main_bldg.floor_1.zone_a")] == [
        "main_bldg.floor_1.room_101.vav_1"
    ]
    assert model.entity("main_bldg.floor_1.ahu_1.sf_1").parent == "main_bldg.floor_1.ahu_1"
    assert model.point("main_bldg.floor_1.room_101.vav_1.vav_1_flow").unit == "L/s"
    assert model.point("main_bldg.floor_1.ahu_1.sf_1.sf_1_status").kind == "bool"


def test_brick_11_version_follows_the_namespace(cache_dir: Path) -> None:
    assert import_turtle(BRICK_DATA / "brick11_office.ttl").brick_version == "1.1"


def test_inverse_relations_odd_names_no_floors_and_file_subclasses(
    ontology: BrickOntology,
) -> None:
    model = load_any(BRICK_DATA / "brick13_inverse.ttl", ontology)
    classes, relations = counts(model)
    assert classes == {
        "AHU": 1,
        "Air_Handling_Unit": 1,
        "Building": 1,
        "Discharge_Air_Temperature_Sensor": 2,
        "Fan_Status": 1,
        "Floor": 1,  # the synthetic floor of what is on no floor
        "Room": 2,
        "VAV": 2,
        "Zone_Air_Temperature_Sensor": 2,
    }
    assert relations == {"hasPart": 3, "hasPoint": 5, "feeds": 4, "isLocationOf": 4}
    unplaced = model.entity("lab_building.unplaced")
    assert "not on any floor" in unplaced.name
    assert model.entity("lab_building").name == "Lab Building"
    vav = model.entity("lab_building.unplaced.room_2_01.vav_2_01")
    assert (vav.brick, vav.name) == ("VAV", "VAV-2.01")
    assert model.entity("lab_building.unplaced.room_2_02.vav_2_02").brick == "VAV"
    # Two names that sanitise alike stay apart; a label becomes the name.
    assert model.entity("lab_building.unplaced.ahu_1").name == "AHU_1"
    assert model.entity("lab_building.unplaced.ahu_1_2").name == "Spare AHU"
    assert model.has_point("lab_building.unplaced.ahu_1.p_2nd_sensor")
    assert model.has_point("lab_building.unplaced.ahu_1.fan_status")  # AHU_1.Fan.Status
    assert model.point("lab_building.unplaced.room_2_02.vav_2_02.zone_temp2_02").unit == "degF"
    assert [e.id for e in model.fed_by("lab_building.unplaced.room_2_01")] == [
        "lab_building.unplaced.room_2_01.vav_2_01"
    ]


def test_rec_locations_submeters_and_orphans(ontology: BrickOntology) -> None:
    model = load_any(BRICK_DATA / "brick14_rec.ttl", ontology)
    classes, relations = counts(model)
    assert classes == {
        "Building": 1,
        "Building_Electrical_Meter": 1,
        "Conference_Room": 1,
        "Electric_Energy_Sensor": 1,
        "Electric_Power_Sensor": 1,
        "Electrical_Meter": 2,
        "Floor": 2,
        "High_Temperature_Alarm": 1,
        "Illuminance_Sensor": 1,
        "Luminaire": 1,
    }
    assert relations == {"hasPart": 3, "hasPoint": 4, "feeds": 2, "isLocationOf": 4}
    room = model.entity("hq.l1.meeting_a")
    assert (room.name, room.area_m2) == ("Meeting room A", 42.5)
    assert [e.id for e in model.feeds("hq.unplaced.main_meter")] == [
        "hq.unplaced.sub_meter1",
        "hq.unplaced.sub_meter2",
    ]
    assert model.point("hq.unplaced.lonely_alarm").kind == "bool"
    assert model.point("hq.unplaced.main_meter.main_power").unit == "kW"


def test_brick_10_frame_namespace(ontology_11: BrickOntology) -> None:
    model = load_any(BRICK_DATA / "brick103_frame.ttl", ontology_11)
    classes, relations = counts(model)
    assert classes == {
        "AHU": 1,
        "Building": 1,
        "Floor": 2,
        "Room": 1,
        "VAV": 1,
        "Zone_Air_Temperature_Sensor": 1,
    }
    assert relations == {"hasPart": 3, "hasPoint": 1, "feeds": 1, "isLocationOf": 2}


def test_a_model_without_any_building(tmp_path: Path, ontology: BrickOntology) -> None:
    path = tmp_path / "loose.ttl"
    path.write_text(
        "@prefix brick: <https://brickschema.org/schema/Brick#> .\n"
        "<urn:x:vav> a brick:VAV ; brick:hasPoint <urn:x:t> .\n"
        "<urn:x:t> a brick:Zone_Air_Temperature_Sensor .\n"
    )
    model = load_any(path, ontology)
    assert model.definition.id == "loose"
    assert [e.id for e in model.entities()] == [
        "unplaced_building",
        "unplaced_building.unplaced",
        "unplaced_building.unplaced.vav",
    ]
    assert "no single building" in model.entity("unplaced_building").name
    assert model.has_point("unplaced_building.unplaced.vav.t")


def test_bad_turtle_names_file_and_line(ontology: BrickOntology) -> None:
    path = BRICK_DATA / "bad_syntax.ttl"
    with pytest.raises(ConfigError, match=f"^{path}:5: not valid Turtle: expected '.'"):
        import_turtle(path, ontology)


def test_a_file_without_brick_entities(ontology: BrickOntology) -> None:
    with pytest.raises(ConfigError, match="no Brick entities found"):
        import_turtle(BRICK_DATA / "no_brick.ttl", ontology)


def test_a_missing_file(tmp_path: Path, ontology: BrickOntology) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        import_turtle(tmp_path / "missing.ttl", ontology)
