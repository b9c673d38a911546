"""Fixtures: an open AuthService over a real SQLite file in tmp_path, on a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from penworks.auth import AuthService
from tests.unit.auth.support import ManualClock, make_service


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "auth.db"


@pytest.fixture
async def service(db: Path, clock: ManualClock) -> AsyncIterator[AuthService]:
    auth = make_service(db, clock)
    await auth.open()
    yield auth
    await auth.close()
