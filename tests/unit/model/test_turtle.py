"""Brick Turtle export, SHACL validation and the export -> import round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef

from penworks.model import (
    BrickOntology,
    SiteModel,
    dump_site_yaml,
    export_turtle,
    import_turtle,
    stats,
    validate_turtle,
)
from penworks.model.turtle import BRICK, QUDT, UNIT, site_namespace


@pytest.fixture(scope="module")
def exported(building15: SiteModel) -> str:
    return export_turtle(building15)


@pytest.fixture(scope="module")
def validation(exported: str) -> tuple[bool, str]:
    return validate_turtle(exported, "1.4")


def test_export_speaks_brick(exported: str) -> None:
    graph = Graph().parse(data=exported, format="turtle")
    site = site_namespace("penpark")
    r301 = site["b15.f3.r301"]
    assert (r301, RDF.type, BRICK.Office) in graph
    assert (site["b15.f3"], BRICK.hasPart, r301) in graph
    assert (r301, BRICK.isLocationOf, site["b15.f3.r301.vav"]) in graph
    assert (site["b15.f3.r301.vav"], BRICK.hasLocation, r301) in graph
    assert (site["b15.f3.r301.vav"], BRICK.feeds, r301) in graph
    setpoint = site["b15.f3.r301.vav.occupied_cooling_setpoint"]
    assert (site["b15.f3.r301.vav"], BRICK.hasPoint, setpoint) in graph
    assert (site["b15.f3.r301.zone_co2"], BRICK.hasUnit, UNIT.PPM) in graph
    energy = site["b15.b1.elec.main_meter.energy_import"]
    assert (energy, BRICK.hasUnit, URIRef(UNIT + "KiloW-HR")) in graph
    main, plug = site["b15.b1.elec.main_meter"], site["b15.b1.elec.plug_meter"]
    assert (main, BRICK.hasSubMeter, plug) in graph
    assert (site["b15.roof.roof.ahu2"], BRICK.feeds, site["b15.f3.r301.vav"]) in graph
    assert (UNIT.DEG_C, RDF.type, QUDT.Unit) in graph
    assert (URIRef("urn:penworks:penpark"), BRICK.hasPart, site["b15"]) in graph


@pytest.mark.slow
def test_export_passes_brick_shacl_validation(validation: tuple[bool, str]) -> None:
    valid, report = validation
    assert valid, report
    assert report.startswith("valid;")


@pytest.mark.slow
def test_validation_finds_violations() -> None:
    bad = """
    @prefix brick: <https://brickschema.org/schema/Brick#> .
    @prefix : <urn:bad#> .
    :roof a brick:Rooftop ; brick:hasPart :deck .
    :deck a brick:Outdoor_Area .
    """
    valid, report = validate_turtle(bad, "1.4")
    assert not valid
    assert "violation: urn:bad#roof" in report


def test_validation_of_text_that_is_not_turtle() -> None:
    valid, report = validate_turtle("this is not turtle", "1.4")
    assert not valid
    assert report.startswith("line 1: not valid Turtle")


def test_round_trip_keeps_classes_relations_and_details(
    building15: SiteModel, exported: str, tmp_path: Path, ontology: BrickOntology
) -> None:
    path = tmp_path / "b15.ttl"
    path.write_text(exported)
    back = SiteModel.from_def(import_turtle(path, ontology), ontology)
    rows = stats(building15)
    assert stats(back) == rows
    assert dict(rows)["Zone_Air_Temperature_Sensor"] == 13 + 8  # VAV zones and small rooms
    feeds = [r for r in building15.relations() if r.predicate == "feeds"]
    assert dict(rows)["feeds"] == len(feeds) > 13 + 13
    assert sorted(p.id for p in back.points()) == sorted(p.id for p in building15.points())
    assert sorted(back.points(), key=lambda p: p.id) == sorted(
        building15.points(), key=lambda p: p.id
    )
    for point in building15.points():
        assert back.binding(point.id) == building15.binding(point.id)
    for entity in building15.entities():
        assert back.entity(entity.id) == entity
    assert back.definition.tenants == building15.definition.tenants
    assert back.definition.timezone == "Asia/Shanghai"


def test_dumped_yaml_loads_back(
    building15: SiteModel, tmp_path: Path, ontology: BrickOntology
) -> None:
    for definition in (building15.definition, building15.expanded):
        path = tmp_path / "dumped.yaml"
        path.write_text(dump_site_yaml(definition))
        again = SiteModel.load(path, ontology)
        assert stats(again) == stats(building15)
        assert again.points() == building15.points()
    assert "polygon:\n" in dump_site_yaml(building15.definition)
    assert "- [0.0, 0.0]" in dump_site_yaml(building15.definition)
