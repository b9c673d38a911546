"""The default site: Building 15 with its floors and spaces, and every system's points bound.

The point-by-point agreement with the twin's devices is tests/unit/sim/test_twin_site.py;
these check the building as a model: classes, places, relations and what may be written.
"""

from __future__ import annotations

from collections import Counter

from penworks.model import BrickOntology, EntityKind, SiteModel
from penworks.model.schema import BacnetBinding, MqttBinding

ZONES = {
    "f1": ["lobby", "hall"],
    "f2": ["r201", "r202", "r203", "m201"],
    "f3": ["r301", "r302", "r303", "m301"],
    "f4": ["r401", "r402", "m401"],
}
TENANTS = {"f2": "inkwell", "f3": "nib", "f4": "quill"}
SERVICE_SPACES = {"lift_room"}  # a room inside the roof deck, without an outline of its own


def zones() -> list[tuple[str, str]]:
    return [(floor, space) for floor, spaces in ZONES.items() for space in spaces]


def test_site_header(building15: SiteModel) -> None:
    site = building15.definition
    assert (site.id, site.timezone, site.brick_version) == ("penpark", "Asia/Shanghai", "1.4")
    assert {t.id: t.name for t in site.tenants} == {
        "inkwell": "Inkwell Robotics",
        "nib": "Nib Analytics",
        "quill": "Quill AI Labs",
    }
    assert site.include == []  # the system files are merged in


def test_floors_and_counts(building15: SiteModel) -> None:
    kinds = Counter(e.kind for e in building15.entities())
    assert kinds[EntityKind.BUILDING] == 1
    assert kinds[EntityKind.FLOOR] == 6
    assert kinds[EntityKind.SPACE] >= 16 + 3 + 8  # zones, plant rooms, small rooms
    assert kinds[EntityKind.EQUIPMENT] > 250
    assert len(building15.points()) > 1500
    floors = {e.id: e.level for e in building15.entities() if e.kind is EntityKind.FLOOR}
    assert floors == {
        "b15.b1": -1,
        "b15.f1": 0,
        "b15.f2": 1,
        "b15.f3": 2,
        "b15.f4": 3,
        "b15.roof": 4,
    }
    assert building15.entity("b15.roof").brick == "Rooftop"
    assert building15.entity("b15.b1.plant").brick == "Mechanical_Room"


def test_every_protocol_is_bound(building15: SiteModel) -> None:
    bindings = [building15.binding(p.id) for p in building15.points()]
    kinds = Counter(b.connector for b in bindings if b is not None)
    assert set(kinds) == {"mqtt", "modbus", "bacnet", "opcua", "health", "schedule"}
    assert all(n > 40 for kind, n in kinds.items() if kind != "schedule")
    assert kinds["schedule"] == 3
    assert None not in bindings  # every point of the twin's building has a source


def test_every_class_exists_in_brick_14(building15: SiteModel, ontology: BrickOntology) -> None:
    used = {e.brick for e in building15.entities()} | {p.brick for p in building15.points()}
    assert all(ontology.exists(c) for c in used)


def test_spaces_have_polygons_on_the_floor_plate_matching_their_area(
    building15: SiteModel,
) -> None:
    for space in building15.entities():
        if space.kind is not EntityKind.SPACE or space.id.rsplit(".", 1)[-1] in SERVICE_SPACES:
            continue
        assert space.polygon is not None, space.id
        assert space.area_m2 is not None, space.id
        assert all(0 <= x <= 48 and 0 <= y <= 20 for x, y in space.polygon), space.id
        assert abs(_shoelace(space.polygon) - space.area_m2) < 1e-6, space.id


def test_tenants_of_office_floors(building15: SiteModel) -> None:
    for floor, space in zones():
        assert building15.entity(f"b15.{floor}.{space}").tenant == TENANTS.get(floor)


def test_every_zone_has_its_vav_lights_and_sensors(building15: SiteModel) -> None:
    vavs = {e.id for e in building15.find_entities(brick="VAV")}
    for floor, space in zones():
        base = f"b15.{floor}.{space}"
        temp = building15.point(f"{base}.zone_air_temp")
        assert (temp.brick, temp.unit) == ("Zone_Air_Temperature_Sensor", "degC")
        assert isinstance(building15.binding(temp.id), BacnetBinding)
        fed_by = {e.id for e in building15.fed_by(base)}
        assert f"{base}.vav" in fed_by
        assert f"{base}.vav" in vavs
        light = building15.binding(f"{base}.light.level")
        assert isinstance(light, MqttBinding)
        assert light.command_topic == f"b15/{floor}/{space}/light/set"
        assert building15.point(f"{base}.light.level").writable


def test_air_handlers_feed_every_vav(building15: SiteModel) -> None:
    vavs = {f"b15.{floor}.{space}.vav" for floor, space in zones()}
    fed = {e.id for ahu in ("ahu1", "ahu2") for e in building15.feeds(f"b15.roof.roof.{ahu}")}
    assert vavs <= fed


def test_the_main_meter_feeds_the_floor_and_system_submeters(building15: SiteModel) -> None:
    main = "b15.b1.elec.main_meter"
    assert building15.entity(main).brick == "Building_Electrical_Meter"
    submeters = {e.id.rsplit(".", 1)[-1] for e in building15.feeds(main)}
    floors = {f"{f}_meter" for f in ("b1", "f1", "f2", "f3", "f4", "roof")}
    systems = {f"{s}_meter" for s in ("hvac", "lighting", "plug", "lifts", "ev", "water")}
    assert floors | systems <= submeters


def test_writable_points_have_limits_and_life_safety_has_none(building15: SiteModel) -> None:
    writable = [p for p in building15.points() if p.writable]
    assert len(writable) > 100
    numbers = [p for p in writable if p.kind == "number"]
    assert all(p.min is not None and p.max is not None for p in numbers)
    fire = building15.find_points(within="b15.f1") + building15.points_of("b15.f1.sec.fire_panel")
    assert not any(p.writable for p in fire if "fire_panel" in p.id or "smoke" in p.id)


def _shoelace(polygon: tuple[tuple[float, float], ...]) -> float:
    pairs = zip(polygon, polygon[1:] + polygon[:1], strict=True)
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)) / 2
