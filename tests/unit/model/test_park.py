"""A park made of one building: copies under their own ids, every device point on MQTT."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.config import DEFAULT_SITE, load_platform_config
from penworks.model import SiteModel
from penworks.model.park import building_ids, feeds, park_site
from penworks.model.schema import BacnetBinding, ModbusBinding, MqttBinding, OpcuaBinding

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "park.yaml"


@pytest.fixture(scope="module")
def building15() -> SiteModel:
    return SiteModel.load(DEFAULT_SITE)


def test_building_ids_count_on_from_the_first() -> None:
    assert building_ids("b15", 3) == ["b15", "b16", "b17"]
    assert building_ids("b09", 2) == ["b09", "b10"]
    assert building_ids("hq", 3) == ["hq", "hq_2", "hq_3"]
    with pytest.raises(ValueError, match="at least one"):
        building_ids("b15", 0)


def test_every_copy_has_the_same_points_under_its_own_id(building15: SiteModel) -> None:
    park = SiteModel.from_def(park_site(building15.expanded, 3), ontology=building15.ontology)
    original = {p.id for p in building15.points()}
    assert len(park.points()) == 3 * len(original)
    for building in ("b15", "b16", "b17"):
        ids = {p.id for p in park.points() if p.id.split(".")[0] == building}
        assert ids == {building + pid[3:] for pid in original}
    # References move too: what b16's equipment feeds is in b16.
    fed = [r for r in park.relations() if r.subject.startswith("b16.")]
    assert fed
    assert all(r.object.startswith("b16.") for r in fed if "." in r.object)


def test_device_points_are_on_mqtt_one_topic_per_holder(building15: SiteModel) -> None:
    park = SiteModel.from_def(park_site(building15.expanded, 2), ontology=building15.ontology)
    kinds = (ModbusBinding, BacnetBinding, OpcuaBinding)
    assert not any(isinstance(park.binding(p.id), kinds) for p in park.points())
    chiller_sp = "b16.b1.plant.chiller1.chw_supply_setpoint"
    binding = park.binding(chiller_sp)
    assert isinstance(binding, MqttBinding)
    assert binding.topic == "b16/b1/plant/chiller1/data"
    assert binding.path == "$.chw_supply_setpoint"
    assert binding.command_topic == "b16/b1/plant/chiller1/set"
    # A point the building already had on MQTT keeps its topic, moved to the copy.
    mqtt_before = next(
        p.id for p in building15.points() if isinstance(building15.binding(p.id), MqttBinding)
    )
    before = building15.binding(mqtt_before)
    after = park.binding("b16" + mqtt_before[3:])
    assert isinstance(before, MqttBinding)
    assert isinstance(after, MqttBinding)
    assert after.topic == "b16" + before.topic[3:]


def test_feeds_cover_every_mqtt_point_once(building15: SiteModel) -> None:
    site = park_site(building15.expanded, 2)
    park = SiteModel.from_def(site, ontology=building15.ontology)
    on_mqtt = [p for p in park.points() if isinstance(park.binding(p.id), MqttBinding)]
    found = feeds(site)
    assert sum(len(f.fields) for f in found) == len(on_mqtt)
    assert len({f.topic for f in found}) == len(found)


def test_a_park_needs_a_site_of_one_building(building15: SiteModel) -> None:
    two = park_site(building15.expanded, 2)
    with pytest.raises(ValueError, match="one building"):
        park_site(two, 2)


def test_the_park_config_file_loads() -> None:
    config = load_platform_config(DEPLOY)
    assert config.bus.type == "nats"
    assert config.store.type == "postgres"
    assert config.automation.rules[0].is_file()
