from __future__ import annotations

from pathlib import Path

import pytest

from penworks.core import ConfigError
from penworks.model import BrickOntology, SiteModel, stats
from penworks.model.schema import SiteDef

from .conftest import BUILDING15


def test_rows_per_class_then_per_relation(ontology: BrickOntology) -> None:
    site = SiteDef.model_validate(
        {
            "id": "s",
            "name": "S",
            "buildings": [
                {
                    "id": "b",
                    "floors": [
                        {
                            "id": "f",
                            "level": 0,
                            "spaces": [
                                {"id": "r1", "brick": "Office"},
                                {"id": "r2", "brick": "Office"},
                            ],
                            "equipment": [
                                {
                                    "id": "ahu",
                                    "brick": "AHU",
                                    "feeds": ["b.f.r1", "b.f.r2"],
                                    "points": [
                                        {"id": "sat", "brick": "Supply_Air_Temperature_Sensor"}
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    )
    assert stats(SiteModel.from_def(site, ontology)) == [
        ("AHU", 1),
        ("Building", 1),
        ("Floor", 1),
        ("Office", 2),
        ("Supply_Air_Temperature_Sensor", 1),
        ("hasPart", 3),
        ("hasPoint", 1),
        ("feeds", 2),
        ("isLocationOf", 1),
    ]


def test_stats_of_a_site_file(building15: SiteModel, ontology: BrickOntology) -> None:
    assert stats(BUILDING15, ontology) == stats(building15)


def test_stats_of_an_unknown_kind_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown kind of model file"):
        stats(tmp_path / "model.json")
