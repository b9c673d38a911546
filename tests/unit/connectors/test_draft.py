"""Draft site files from discoveries: they load, bind what was found, and say what to review."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from penworks.connectors import DiscoveredDevice, DiscoveredPoint, Discovery
from penworks.connectors.draft import draft_site, draft_yaml
from penworks.core import PointKind
from penworks.model import BrickOntology, SiteModel
from penworks.model.schema import HealthBinding, ModbusBinding


@pytest.fixture(scope="module")
def ontology() -> BrickOntology:
    return BrickOntology.load("1.4")


def found(name: str, brick: str | None, address: int, **extra: object) -> DiscoveredPoint:
    return DiscoveredPoint(
        connector="modbus",
        address=f"hr {address}",
        name=name,
        kind=str(extra.pop("kind", PointKind.NUMBER.value)),
        unit=extra.pop("unit", None),  # type: ignore[arg-type]
        suggested_brick=brick,
        device="meter_a",
        writable=bool(extra.pop("writable", False)),
        binding={"device": "meter_a", "address": address, **extra},
    )


def discovery() -> Discovery:
    points = [
        found("Active Power", "Electric_Power_Sensor", 0, type="float32", unit="kW"),
        found("Active Power", "Not_A_Brick_Class", 2, type="float32"),
        found("hr 40010", None, 10),
        found("Demand limit", "Setpoint", 11, writable=True),
    ]
    device = DiscoveredDevice(
        name="Meter A",
        label="Main meter (ACME PM-9)",
        brick="Electrical_Meter",
        points=points,
        health_device="meter_a",
        config={"name": "meter_a", "host": "10.0.0.5", "port": 502},
    )
    return Discovery(connector="modbus", devices=[device])


def test_the_draft_loads_and_binds_every_point(ontology: BrickOntology, tmp_path: Path) -> None:
    site = draft_site(discovery(), connector_name="modbus", ontology=ontology)
    text = draft_yaml(discovery(), site, "10.0.0.5:502", datetime(2026, 1, 5, tzinfo=UTC))
    path = tmp_path / "draft.yaml"
    path.write_text(text)
    model = SiteModel.load(path, ontology)
    meter = model.entity("draft.unplaced.meter_a")
    assert (meter.brick, meter.name) == ("Electrical_Meter", "Main meter (ACME PM-9)")
    points = {p.id.rsplit(".", 1)[1]: p for p in model.points_of(meter.id)}
    assert sorted(points) == [
        "active_power",
        "active_power_2",
        "comm_loss",
        "demand_limit",
        "hr_40010",
    ]
    assert points["active_power"].brick == "Electric_Power_Sensor"
    assert points["active_power"].unit == "kW"
    assert points["active_power_2"].brick == "Point"  # not a Brick class: left to review
    assert points["hr_40010"].brick == "Point"
    assert points["demand_limit"].writable
    binding = model.binding(points["active_power"].id)
    assert isinstance(binding, ModbusBinding)
    assert (binding.device, binding.address, binding.type) == ("meter_a", 0, "float32")
    health = model.binding(points["comm_loss"].id)
    assert isinstance(health, HealthBinding)
    assert (health.source, health.device, health.field) == ("modbus", "meter_a", "comm_loss")
    assert points["comm_loss"].kind is PointKind.BOOL


def test_the_header_says_where_the_draft_came_from(ontology: BrickOntology) -> None:
    site = draft_site(discovery(), connector_name="modbus", ontology=ontology)
    text = draft_yaml(discovery(), site, "10.0.0.5:502", datetime(2026, 1, 5, tzinfo=UTC))
    head = text.split("\nid:")[0]
    assert "penworks discover modbus --target 10.0.0.5:502" in head
    assert "1 devices, 4 points" in head
    assert "1 points had no suggested Brick class" in head


def test_a_binding_that_does_not_validate_fails_the_draft(ontology: BrickOntology) -> None:
    bad = Discovery(
        connector="modbus",
        devices=[
            DiscoveredDevice(
                name="m",
                label="m",
                brick="Electrical_Meter",
                points=[found("x", None, 70_000)],  # beyond the Modbus address space
                health_device="m",
            )
        ],
    )
    with pytest.raises(ValueError, match="address"):
        draft_site(bad, connector_name="modbus", ontology=ontology)


def test_unknown_equipment_classes_become_equipment(ontology: BrickOntology) -> None:
    odd = Discovery(
        connector="modbus",
        devices=[DiscoveredDevice("x", "X", "Gizmo", [], "x")],
    )
    site = draft_site(odd, connector_name="modbus", ontology=ontology)
    assert site.buildings[0].floors[0].equipment[0].brick == "Equipment"
