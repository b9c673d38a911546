"""Model tests share one Brick ontology per version and one Building 15 per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from penworks.model import BrickOntology, SiteModel
from penworks.model.brick import CACHE_ENV

REPO = Path(__file__).resolve().parents[3]
BUILDING15 = REPO / "sites" / "building15.yaml"
SMALL_OFFICE = REPO / "tests" / "data" / "sites" / "small_office.yaml"
BRICK_DATA = REPO / "tests" / "data" / "brick"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh ontology cache for the session, also used by loads that name no directory."""
    path = tmp_path_factory.mktemp("penworks-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(path))
        yield path


@pytest.fixture(scope="session")
def ontology(cache_dir: Path) -> BrickOntology:
    return BrickOntology.load("1.4", cache_dir)


@pytest.fixture(scope="session")
def ontology_11(cache_dir: Path) -> BrickOntology:
    return BrickOntology.load("1.1", cache_dir)


@pytest.fixture(scope="session")
def building15(ontology: BrickOntology) -> SiteModel:
    return SiteModel.load(BUILDING15, ontology)


@pytest.fixture(scope="session")
def small_office(ontology: BrickOntology) -> SiteModel:
    """A small, stable site (13 zones over MQTT) for the behaviour of model queries."""
    return SiteModel.load(SMALL_OFFICE, ontology)
