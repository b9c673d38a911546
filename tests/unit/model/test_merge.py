"""Site fragments merged into a site: placed by full id, clashes refused with the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.cli import main
from penworks.core import ConfigError
from penworks.model import SiteModel
from penworks.model.loader import read_site
from penworks.model.merge import SiteFragment, load_fragment, merge_fragment

SITE = """\
id: s
name: S
buildings:
  - id: b
    floors:
      - id: f1
        level: 0
        spaces:
          - {id: r1, brick: Office}
"""

FRAGMENT = """\
templates:
  probe:
    points:
      - {id: temp, brick: Zone_Air_Temperature_Sensor, unit: degC}
tenants:
  - {id: acme, name: ACME}
spaces:
  - floor: b.f1
    space: {id: r2, brick: Conference_Room, tenant: acme}
place:
  - holder: b.f1.r2
    equipment:
      - {id: sensor, brick: Sensor_Equipment, template: probe}
  - holder: b.f1
    points:
      - {id: power, brick: Electric_Power_Sensor, unit: kW}
  - holder: b
    equipment:
      - {id: ahu, brick: AHU, feeds: [b.f1.r1]}
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    site, fragment = tmp_path / "site.yaml", tmp_path / "fragment.yaml"
    site.write_text(SITE)
    fragment.write_text(FRAGMENT)
    return site, fragment


def test_a_fragment_lands_where_its_holders_say(files: tuple[Path, Path]) -> None:
    site_path, fragment_path = files
    site, _ = read_site(site_path)
    merged = SiteModel.from_def(merge_fragment(site, load_fragment(fragment_path)))
    assert merged.point("b.f1.r2.sensor.temp").brick == "Zone_Air_Temperature_Sensor"
    assert merged.point("b.f1.r2.sensor.temp").tenant == "acme"
    assert merged.point("b.f1.power").unit == "kW"
    assert [e.id for e in merged.fed_by("b.f1.r1")] == ["b.ahu"]


def test_clashes_and_missing_holders_are_named(files: tuple[Path, Path]) -> None:
    site_path, fragment_path = files
    site, _ = read_site(site_path)
    fragment = load_fragment(fragment_path)
    once = merge_fragment(site, fragment)
    with pytest.raises(ConfigError) as caught:
        merge_fragment(once, fragment, source="again.yaml")
    message = str(caught.value)
    assert "again.yaml: spaces[0].space.id: b.f1 already has 'r2'" in message
    assert "again.yaml: place[2]: b already has 'ahu'" in message
    stray = SiteFragment.model_validate({"place": [{"holder": "b.f9", "points": []}]})
    with pytest.raises(ConfigError, match=r"place\[0\].holder: 'b.f9' is not a building"):
        merge_fragment(site, stray)


def test_a_bad_fragment_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("place:\n  - holder: b.f1\n    equipmnt: []\n")
    with pytest.raises(ConfigError, match=rf"{bad}:3: place\[0\].equipmnt"):
        load_fragment(bad)


def test_model_merge_writes_a_site_that_loads(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site_path, fragment_path = files
    out = tmp_path / "merged.yaml"
    assert main(["model", "merge", str(site_path), str(fragment_path), "--out", str(out)]) == 0
    assert "2 points" in capsys.readouterr().out
    assert SiteModel.load(out).point("b.f1.r2.sensor.temp").unit == "degC"


def test_a_site_includes_its_fragments(files: tuple[Path, Path], tmp_path: Path) -> None:
    site_path, fragment_path = files
    site_path.write_text(SITE + f"include: [{fragment_path.name}]\n")
    model = SiteModel.load(site_path)
    assert model.point("b.f1.r2.sensor.temp").unit == "degC"
    assert model.definition.include == []  # merged: a dump of it loads on its own


def test_a_missing_include_is_named(files: tuple[Path, Path]) -> None:
    site_path, _ = files
    site_path.write_text(SITE + "include: [hvac.yaml]\n")
    with pytest.raises(ConfigError, match="hvac.yaml: cannot read"):
        SiteModel.load(site_path)
