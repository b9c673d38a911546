"""A mistake in a site file is a ConfigError naming the file, the line and the key path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from penworks.core import ConfigError
from penworks.model import BrickOntology, SiteModel

SITE = """\
id: demo
name: Demo site
tenants:
  - {id: acme, name: Acme}
templates:
  zone:
    points:
      - id: temp
        brick: Zone_Air_Temperature_Sensor
        unit: degC
        binding: {connector: mqtt, topic: "{topic}/hvac", path: $.temp}
buildings:
  - id: b1
    name: B1
    floors:
      - id: f1
        level: 0
        spaces:
          - id: r1
            brick: Office
            tenant: acme
            template: zone
            equipment:
              - id: vav
                brick: VAV
                feeds: [b1.f1.r1]
                points:
                  - id: damper
                    brick: Damper_Position_Sensor
                    unit: "%"
"""

EQUIPMENT = "buildings[0].floors[0].spaces[0].equipment[0]"
SPACE = "buildings[0].floors[0].spaces[0]"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if marker in line]
    return lines[occurrence - 1]


def load_error(path: Path, ontology: BrickOntology) -> str:
    with pytest.raises(ConfigError) as info:
        SiteModel.load(path, ontology)
    return str(info.value)


def test_the_base_site_loads(tmp_path: Path, ontology: BrickOntology) -> None:
    model = SiteModel.load(write(tmp_path, SITE), ontology)
    assert [p.id for p in model.points()] == ["b1.f1.r1.temp", "b1.f1.r1.vav.damper"]


@pytest.mark.parametrize(
    ("old", "new", "marker", "where", "what"),
    [
        (
            'unit: "%"',
            "unit: [1, 2]",
            "unit: [1, 2]",
            f"{EQUIPMENT}.points[0].unit",
            "valid string",
        ),
        (
            "feeds: [b1.f1.r1]",
            "feed: [b1.f1.r1]",
            "feed: [",
            f"{EQUIPMENT}.feed",
            "unknown key 'feed'; did you mean 'feeds'?",
        ),
        (
            "        level: 0\n",
            "",
            "- id: f1",
            "buildings[0].floors[0].level",
            "'level' is missing",
        ),
        (
            "brick: Office",
            "brick: Office\n            brick: Room",
            "brick: Room",
            f"{SPACE}.brick",
            "duplicate key (first on line 20)",
        ),
        (
            'unit: "%"',
            'unit: "%"\n                    limits: {min: 10, max: 1}',
            "limits:",
            f"{EQUIPMENT}.points[0].limits",
            "min 10.0 is above max 1.0",
        ),
        (
            "feeds: [b1.f1.r1]",
            "feeds: [b1.f1.r9]",
            "feeds:",
            f"{EQUIPMENT}.feeds[0]",
            "'b1.f1.r9' is not the full id of any equipment or space; did you mean 'b1.f1.r1'?",
        ),
        (
            "brick: VAV",
            "brick: Vav_Box",
            "brick: Vav_Box",
            f"{EQUIPMENT}.brick",
            "'Vav_Box' is not a class of Brick 1.4",
        ),
        (
            "brick: VAV",
            "brick: Occupancy_Sensor",
            "brick: Occupancy_Sensor",
            f"{EQUIPMENT}.brick",
            "not one for equipment",
        ),
        (
            "template: zone",
            "template: zon",
            "template: zon",
            f"{SPACE}.template",
            "unknown template 'zon' (known: zone)",
        ),
        (
            "tenant: acme",
            "tenant: acne",
            "tenant: acne",
            f"{SPACE}.tenant",
            "unknown tenant 'acne' (known: acme)",
        ),
        (
            "name: Demo site",
            "name: Demo site\ntimezone: Mars/Olympus",
            "timezone:",
            "timezone",
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            "            equipment:",
            "            points: [{id: vav, brick: CO2_Sensor}]\n            equipment:",
            "- id: vav",
            f"{EQUIPMENT}.id",
            f"duplicate id 'vav': {SPACE}.points[0] has it too",
        ),
    ],
)
def test_mistakes_name_file_line_and_key(
    tmp_path: Path,
    ontology: BrickOntology,
    old: str,
    new: str,
    marker: str,
    where: str,
    what: str,
) -> None:
    assert old in SITE
    text = SITE.replace(old, new, 1)
    path = write(tmp_path, text)
    message = load_error(path, ontology)
    assert f"{path}:{line_of(text, marker)}: {where}: " in message
    assert what in message


def test_template_mistakes_point_into_the_template(tmp_path: Path, ontology: BrickOntology) -> None:
    text = SITE.replace('topic: "{topic}/hvac"', 'topic: "{topik}/hvac"')
    path = write(tmp_path, text)
    message = load_error(path, ontology)
    line = line_of(text, "{topik}")
    assert f"{path}:{line}: {SPACE}.points[0].binding.topic (from template 'zone', " in message
    assert "unknown placeholder {topik}" in message


def test_a_template_item_that_clashes_with_the_holders_own(
    tmp_path: Path, ontology: BrickOntology
) -> None:
    text = SITE.replace(
        "            equipment:",
        "            points: [{id: temp, brick: CO2_Sensor}]\n            equipment:",
    )
    path = write(tmp_path, text)
    message = load_error(path, ontology)
    assert (
        f"{path}:{line_of(text, '- id: temp')}: {SPACE}.points[1].id (from template 'zone'"
        in message
    )
    assert f"duplicate id 'temp': {SPACE}.points[0] has it too" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path, ontology: BrickOntology) -> None:
    text = SITE.replace("name: B1", "name: [B1")
    path = write(tmp_path, text)
    message = load_error(path, ontology)
    found = re.match(rf"{re.escape(str(path))}:(\d+): not valid YAML", message)
    assert found is not None, message
    assert line_of(text, "name: [B1") <= int(found.group(1)) <= line_of(text, "name: [B1") + 2


def test_every_problem_is_reported_at_once(tmp_path: Path, ontology: BrickOntology) -> None:
    text = SITE.replace("brick: VAV", "brick: Vav_Box").replace("tenant: acme", "tenant: acne")
    message = load_error(write(tmp_path, text), ontology)
    assert len(message.splitlines()) == 2


def test_a_missing_file_is_a_config_error(tmp_path: Path, ontology: BrickOntology) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError, match="nowhere.yaml: cannot read"):
        SiteModel.load(path, ontology)


def test_a_site_that_is_not_a_mapping(tmp_path: Path, ontology: BrickOntology) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        SiteModel.load(write(tmp_path, "- just\n- a list\n"), ontology)
