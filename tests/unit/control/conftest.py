"""The sites the control tests run on, each loaded once."""

from __future__ import annotations

import pytest

from penworks.model import SiteModel
from tests.unit.control.support import BUILDING15, SMALL_OFFICE


@pytest.fixture(scope="session")
def office() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


@pytest.fixture(scope="session")
def building15() -> SiteModel:
    return SiteModel.load(BUILDING15)
