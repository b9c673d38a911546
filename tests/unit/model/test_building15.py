"""The default site binds exactly the MQTT contract of the Building 15 twin."""

from __future__ import annotations

from collections import Counter

from penworks.model import BrickOntology, EntityKind, SiteModel

ZONES = {
    "f1": ["lobby", "hall"],
    "f2": ["r201", "r202", "r203", "m201"],
    "f3": ["r301", "r302", "r303", "m301"],
    "f4": ["r401", "r402", "m401"],
}
TENANTS = {"f2": "inkwell", "f3": "nib", "f4": "quill"}


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


def test_counts(building15: SiteModel) -> None:
    kinds = Counter(e.kind for e in building15.entities())
    assert kinds == {
        EntityKind.BUILDING: 1,
        EntityKind.FLOOR: 6,
        EntityKind.SPACE: 16,
        EntityKind.EQUIPMENT: 13 * 2 + 1 + 4,
    }
    assert len(building15.points()) == 13 * 8 + 3 + 4 * 2
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
    assert building15.entity("b15.b1.elec").brick == "Electrical_Room"


def test_every_class_exists_in_brick_14(building15: SiteModel, ontology: BrickOntology) -> None:
    used = {e.brick for e in building15.entities()} | {p.brick for p in building15.points()}
    assert all(ontology.exists(c) for c in used)


def test_spaces_have_polygons_on_the_floor_plate_matching_their_area(
    building15: SiteModel,
) -> None:
    for space in building15.find_entities(brick="Location"):
        if space.kind is not EntityKind.SPACE:
            continue
        assert space.polygon is not None, space.id
        assert space.area_m2 is not None, space.id
        assert all(0 <= x <= 48 and 0 <= y <= 20 for x, y in space.polygon), space.id
        assert abs(_shoelace(space.polygon) - space.area_m2) < 1e-6, space.id


def test_tenants_of_office_floors(building15: SiteModel) -> None:
    for floor, space in zones():
        assert building15.entity(f"b15.{floor}.{space}").tenant == TENANTS.get(floor)


def test_hvac_zone_contract(building15: SiteModel) -> None:
    for floor, space in zones():
        base, topic = f"b15.{floor}.{space}", f"b15/{floor}/{space}/hvac"
        expected = {
            f"{base}.zone_air_temp": ("$.temp", "Zone_Air_Temperature_Sensor", "degC"),
            f"{base}.zone_co2": ("$.co2", "Zone_CO2_Level_Sensor", "ppm"),
            f"{base}.vav.damper": ("$.damper", "Damper_Position_Sensor", "%"),
            f"{base}.vav.airflow": ("$.airflow", "Discharge_Air_Flow_Sensor", "L/s"),
            f"{base}.vav.setpoint": ("$.setpoint", "Zone_Air_Temperature_Setpoint", "degC"),
        }
        for point_id, (path, brick, unit) in expected.items():
            point, binding = building15.point(point_id), building15.binding(point_id)
            assert binding is not None
            assert (binding.topic, binding.path, binding.ts_path) == (topic, path, "$.ts")
            assert (point.brick, point.unit) == (brick, unit)
        setpoint = building15.binding(f"{base}.vav.setpoint")
        assert setpoint is not None
        assert (setpoint.command_topic, setpoint.command_key) == (f"{topic}/set", "setpoint")
        assert [e.id for e in building15.fed_by(base)] == [f"{base}.vav"]
        assert building15.entity(f"{base}.vav").brick == "VAV"


def test_lighting_contract(building15: SiteModel) -> None:
    for floor, space in zones():
        base, topic = f"b15.{floor}.{space}.lights", f"b15/{floor}/{space}/light"
        level, level_binding = (
            building15.point(f"{base}.level"),
            building15.binding(f"{base}.level"),
        )
        assert level_binding is not None
        assert (level.kind, level.writable, level.min, level.max) == ("number", True, 0.0, 100.0)
        assert (level_binding.topic, level_binding.path) == (topic, "$.level")
        assert (level_binding.command_topic, level_binding.command_key) == (f"{topic}/set", "level")
        occupancy = building15.point(f"{base}.occupancy")
        assert (occupancy.kind, occupancy.brick) == ("bool", "Occupancy_Sensor")
        lux = building15.binding(f"{base}.illuminance")
        assert lux is not None
        assert (lux.topic, lux.path) == (topic, "$.lux")
        assert building15.entity(base).brick == "Lighting"


def test_ahu_contract(building15: SiteModel) -> None:
    ahu = building15.entity("b15.roof.roof.ahu1")
    assert (ahu.brick, ahu.parent) == ("AHU", "b15.roof.roof")
    assert sorted(e.id for e in building15.feeds(ahu.id)) == sorted(
        f"b15.{floor}.{space}.vav" for floor, space in zones()
    )
    paths = {}
    for point in building15.points_of(ahu.id):
        binding = building15.binding(point.id)
        assert binding is not None
        assert binding.topic == "b15/roof/roof/ahu1"
        paths[binding.path] = (point.brick, point.kind)
    assert paths == {
        "$.sat": ("Supply_Air_Temperature_Sensor", "number"),
        "$.fan": ("Fan_Status", "bool"),
        "$.oat": ("Outside_Air_Temperature_Sensor", "number"),
    }


def test_meter_contract(building15: SiteModel) -> None:
    for meter in ("main", "hvac", "lighting", "plug"):
        for key, brick, unit in (
            ("power", "Electric_Power_Sensor", "kW"),
            ("energy", "Electric_Energy_Sensor", "kWh"),
        ):
            point_id = f"b15.b1.elec.{meter}.{key}"
            binding = building15.binding(point_id)
            assert binding is not None
            assert (binding.topic, binding.path) == (f"b15/meter/{meter}", f"$.{key}")
            assert (building15.point(point_id).brick, building15.point(point_id).unit) == (
                brick,
                unit,
            )
    assert building15.entity("b15.b1.elec.main").brick == "Building_Electrical_Meter"
    assert [e.id for e in building15.feeds("b15.b1.elec.main")] == [
        "b15.b1.elec.hvac",
        "b15.b1.elec.lighting",
        "b15.b1.elec.plug",
    ]


def test_only_the_setpoints_and_light_levels_are_writable(building15: SiteModel) -> None:
    writable = {
        p.id.rsplit(".", 2)[-2] + "." + p.id.rsplit(".", 1)[-1]
        for p in building15.points()
        if p.writable
    }
    assert writable == {"vav.setpoint", "lights.level"}
    assert sum(p.writable for p in building15.points()) == 26


def _shoelace(polygon: tuple[tuple[float, float], ...]) -> float:
    pairs = zip(polygon, polygon[1:] + polygon[:1], strict=True)
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)) / 2
