from __future__ import annotations

import json
from pathlib import Path

import pytest

from penworks.core import ModelError
from penworks.model import BrickOntology
from penworks.model.brick import CACHE_ENV, cache_path, default_cache_dir


def test_classes_and_subclass_closure(ontology: BrickOntology) -> None:
    assert ontology.version == "1.4"
    assert len(ontology.classes()) > 1000
    assert ontology.exists("Zone_Air_Temperature_Sensor")
    assert not ontology.exists("Roof")
    assert ontology.is_subclass("Zone_Air_Temperature_Sensor", "Temperature_Sensor")
    assert ontology.is_subclass("Zone_Air_Temperature_Sensor", "Point")
    assert not ontology.is_subclass("Temperature_Sensor", "Zone_Air_Temperature_Sensor")
    assert not ontology.is_subclass("Nonsense", "Point")
    temperature = ontology.subclasses("Temperature_Sensor")
    assert {"Temperature_Sensor", "Outside_Air_Temperature_Sensor"} <= temperature
    assert "Zone_CO2_Level_Sensor" not in temperature


def test_equivalent_classes_count_both_ways(ontology: BrickOntology) -> None:
    assert ontology.is_subclass("AHU", "Air_Handling_Unit")
    assert ontology.is_subclass("Air_Handling_Unit", "AHU")
    assert ontology.is_subclass("Discharge_Air_Flow_Sensor", "Supply_Air_Flow_Sensor")


def test_a_deprecated_class_is_below_its_replacement_but_its_subclasses_are_not(
    ontology: BrickOntology,
) -> None:
    replacement = "Target_Zone_Air_Temperature_Setpoint"
    assert ontology.is_subclass("Zone_Air_Temperature_Setpoint", replacement)
    assert not ontology.is_subclass("Cooling_Zone_Air_Temperature_Setpoint", replacement)


def test_rec_classes_map_to_the_brick_class_they_replace(ontology: BrickOntology) -> None:
    assert ontology.from_rec("Level") == "Floor"
    assert ontology.from_rec("Room") == "Room"
    assert ontology.from_rec("NoSuchThing") is None


def test_unknown_class_is_a_model_error_with_a_suggestion(ontology: BrickOntology) -> None:
    with pytest.raises(ModelError, match="Zone_Air_Temperature_Sensor"):
        ontology.subclasses("Zone_Air_Temperature_Sensr")


def test_unshipped_version_is_refused(cache_dir: Path) -> None:
    with pytest.raises(ModelError, match="1.9"):
        BrickOntology.load("1.9", cache_dir)


def test_later_loads_read_the_cache(ontology: BrickOntology, cache_dir: Path) -> None:
    # Doctor the cache: a load that reads it (rather than Brick.ttl) sees the change.
    data = json.loads(cache_path("1.4", cache_dir).read_text())
    data["ancestors"]["Made_Up_Sensor"] = ["Sensor", "Point"]
    doctored = cache_dir / "doctored"
    doctored.mkdir()
    cache_path("1.4", doctored).write_text(json.dumps(data))
    cached = BrickOntology.load("1.4", doctored)
    assert cached.is_subclass("Made_Up_Sensor", "Point")
    assert cached.classes() - {"Made_Up_Sensor"} == ontology.classes()


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path, ontology_11: BrickOntology) -> None:
    broken = cache_path("1.1", tmp_path)
    broken.write_text("{not json")
    rebuilt = BrickOntology.load("1.1", tmp_path)
    assert rebuilt.classes() == ontology_11.classes()
    assert json.loads(broken.read_text())["brick_version"] == "1.1"


def test_cache_dir_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_dir() == Path.home() / ".cache" / "penworks"
