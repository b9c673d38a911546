from __future__ import annotations

import pytest

from penworks.core import ConfigError
from penworks.model import BrickOntology, SiteModel
from penworks.model.schema import SiteDef


def site(templates: dict[str, object], space: dict[str, object]) -> SiteDef:
    return SiteDef.model_validate(
        {
            "id": "demo",
            "name": "Demo",
            "templates": templates,
            "buildings": [
                {
                    "id": "b1",
                    "floors": [{"id": "f2", "level": 1, "spaces": [{"id": "r201", **space}]}],
                }
            ],
        }
    )


ZONE = {
    "points": [
        {
            "id": "temp",
            "name": "{name} temperature ({local}, {wing})",
            "brick": "Zone_Air_Temperature_Sensor",
            "binding": {"connector": "mqtt", "topic": "{topic}/hvac", "path": "$.t{{0}}"},
        }
    ],
    "equipment": [
        {"id": "vav", "brick": "VAV", "feeds": ["{id}"], "template": "vav_points"},
    ],
}
VAV_POINTS = {
    "points": [
        {
            "id": "damper",
            "brick": "Damper_Position_Sensor",
            "binding": {"connector": "mqtt", "topic": "{topic}"},
        }
    ],
    "parts": [{"id": "fan", "brick": "Fan", "name": "Fan of {id}"}],
}


def test_placeholders_are_filled_for_each_holder(ontology: BrickOntology) -> None:
    definition = site(
        {"zone": ZONE, "vav_points": VAV_POINTS},
        {"name": "Office 201", "template": "zone", "vars": {"wing": "east"}},
    )
    model = SiteModel.from_def(definition, ontology)
    temp = model.point("b1.f2.r201.temp")
    assert temp.name == "Office 201 temperature (r201, east)"
    binding = model.binding("b1.f2.r201.temp")
    assert binding is not None
    assert (binding.topic, binding.path) == ("b1/f2/r201/hvac", "$.t{0}")
    # The VAV the space template stamps in takes its own template, with its own {id}.
    damper = model.binding("b1.f2.r201.vav.damper")
    assert damper is not None
    assert damper.topic == "b1/f2/r201/vav"
    assert model.entity("b1.f2.r201.vav.fan").name == "Fan of b1.f2.r201.vav"
    assert [e.id for e in model.fed_by("b1.f2.r201")] == ["b1.f2.r201.vav"]


def test_the_definition_keeps_templates_and_the_expansion_has_none(
    ontology: BrickOntology,
) -> None:
    definition = site({"zone": ZONE, "vav_points": VAV_POINTS}, {"template": "zone"})
    definition = definition.model_copy(
        update={"buildings": [_with_var(definition, "wing", "west")]}
    )
    model = SiteModel.from_def(definition, ontology)
    assert model.definition is definition
    assert model.expanded.templates == {}
    assert model.definition.buildings[0].floors[0].spaces[0].points == []
    # Expanding an expanded site stamps nothing twice.
    again = SiteModel.from_def(model.expanded, ontology)
    assert [p.id for p in again.points()] == [p.id for p in model.points()]


def test_own_items_come_first_then_the_templates(ontology: BrickOntology) -> None:
    own = {"id": "co2", "brick": "CO2_Sensor"}
    definition = site(
        {"zone": ZONE, "vav_points": VAV_POINTS},
        {"template": "zone", "vars": {"wing": "w"}, "points": [own]},
    )
    model = SiteModel.from_def(definition, ontology)
    assert [p.id for p in model.points_of("b1.f2.r201")] == ["b1.f2.r201.co2", "b1.f2.r201.temp"]


@pytest.mark.parametrize(
    ("templates", "space", "message"),
    [
        (
            {"zone": ZONE, "vav_points": VAV_POINTS},
            {"template": "zone"},
            "unknown placeholder {wing}",
        ),
        ({}, {"template": "zone"}, "unknown template 'zone' (known: none defined)"),
        (
            {"zone": ZONE, "vav_points": VAV_POINTS},
            {"template": "zone", "vars": {"wing": "w", "id": "x"}},
            "'id' is a built-in placeholder",
        ),
        ({"bad": VAV_POINTS}, {"template": "bad"}, "template 'bad' has parts"),
        (
            {"loop": {"parts": [{"id": "again", "brick": "Fan", "template": "loop"}]}},
            {"equipment": [{"id": "e", "brick": "Fan", "template": "loop"}]},
            "templates nest more than 8 deep",
        ),
    ],
)
def test_template_mistakes(
    ontology: BrickOntology, templates: dict[str, object], space: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match="^<memory>: buildings\\[0\\]") as info:
        SiteModel.from_def(site(templates, space), ontology)
    assert message in str(info.value)


def _with_var(definition: SiteDef, key: str, value: str) -> object:
    building = definition.buildings[0]
    floor = building.floors[0]
    space = floor.spaces[0].model_copy(update={"vars": {key: value}})
    floor = floor.model_copy(update={"spaces": [space]})
    return building.model_copy(update={"floors": [floor]})
