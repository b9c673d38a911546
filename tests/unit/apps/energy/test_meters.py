"""The meter hierarchy of Building 15 from its Brick model, and none on Cedar House."""

from __future__ import annotations

import pytest

from penworks.apps.energy.meters import Hierarchy, find_meters, system_of, virtual_kwh
from penworks.model import SiteModel
from tests.unit.apps.energy.support import model_context
from tests.unit.apps.support import BUILDING15, CEDAR_HOUSE

MAIN = "b15.b1.elec.main_meter"


@pytest.fixture(scope="module")
def meters() -> Hierarchy:
    return find_meters(model_context(SiteModel.load(BUILDING15)))


def test_the_main_meter_feeds_the_submeters(meters: Hierarchy) -> None:
    [main] = meters.roots()
    assert main.id == MAIN
    assert main.brick == "Building_Electrical_Meter"
    assert len(main.children) == 14
    assert all(meters.meters[c].parent == MAIN for c in main.children)
    assert meters.meters["b15.f3.nib_meter"].parent == "b15.b1.elec.f3_meter"
    assert len(meters.meters) == 18


def test_each_meter_has_its_points_by_brick_class(meters: Hierarchy) -> None:
    main = meters.meters[MAIN]
    assert main.energy == f"{MAIN}.energy_import"  # the import register, not the export
    assert main.power == f"{MAIN}.power"
    assert main.peak_demand == f"{MAIN}.peak_demand"
    assert len(meters.energy_points()) == 18


def test_floor_system_and_tenant_by_the_rules(meters: Hierarchy) -> None:
    by_id = meters.meters
    assert by_id["b15.b1.elec.f2_meter"].floor == "b15.f2"
    assert by_id["b15.b1.elec.roof_meter"].floor == "b15.roof"
    assert by_id[MAIN].floor is None
    assert by_id["b15.b1.elec.hvac_meter"].system == "hvac"
    assert by_id["b15.b1.elec.lighting_meter"].system == "lighting"
    assert by_id["b15.b1.elec.plug_meter"].system == "plug_loads"
    assert by_id["b15.b1.elec.ev_meter"].system == "ev_charging"
    assert by_id["b15.b1.elec.it_meter"].system == "it"
    assert by_id["b15.b1.elec.f2_meter"].system is None
    tenants = {m.id: m.tenant for m in by_id.values() if m.tenant}
    assert tenants == {"b15.f2.inkwell_meter": "inkwell", "b15.f3.nib_meter": "nib",
                       "b15.f4.quill_meter": "quill"}  # fmt: skip
    assert by_id["b15.f3.nib_meter"].floor == "b15.f3"
    assert system_of("pump_x", "Some board") is None


def test_unmetered_is_main_less_its_submeters(meters: Hierarchy) -> None:
    unmetered = meters.virtual[f"{MAIN}.unmetered"]
    kwh = {MAIN: 100.0, **dict.fromkeys(unmetered.minus, 5.0)}
    assert virtual_kwh(unmetered, kwh) == 100.0 - 14 * 5.0
    assert virtual_kwh(unmetered, {MAIN: 10.0, **kwh}) == 30.0
    assert virtual_kwh(unmetered, {MAIN: 1.0, **dict.fromkeys(unmetered.minus, 5.0)}) == 0.0
    assert set(meters.virtual) == {f"{MAIN}.unmetered", "b15.b1.elec.f2_meter.unmetered",
                                   "b15.b1.elec.f3_meter.unmetered",
                                   "b15.b1.elec.f4_meter.unmetered"}  # fmt: skip


def test_a_site_without_meters_has_an_empty_hierarchy() -> None:
    hierarchy = find_meters(model_context(SiteModel.load(CEDAR_HOUSE)))
    assert hierarchy.meters == {}
    assert hierarchy.virtual == {}
