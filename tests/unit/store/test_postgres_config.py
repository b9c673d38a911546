"""The store section of the platform config: sqlite by default, postgres when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.config import (
    PlatformConfig,
    PostgresStoreConfig,
    SqliteStoreConfig,
    load_platform_config,
)
from penworks.core import ConfigError
from penworks.store import PostgresSettings


def load(tmp_path: Path, text: str) -> PlatformConfig:
    path = tmp_path / "penworks.yaml"
    path.write_text(text)
    return load_platform_config(path)


def test_the_store_is_sqlite_unless_the_file_says_postgres(tmp_path: Path) -> None:
    assert isinstance(load(tmp_path, "data_dir: state\n").store, SqliteStoreConfig)
    config = load(
        tmp_path, "store:\n  type: postgres\n  schema: site_b15\n  raw_days: 30\n  pool_max: 8\n"
    )
    store = config.store
    assert isinstance(store, PostgresStoreConfig)
    assert (store.dsn, store.schema_name) == ("postgresql://127.0.0.1:5432/postgres", "site_b15")
    assert store.settings() == PostgresSettings(pool_max=8, raw_days=30)
    with pytest.raises(ConfigError, match="history is in PostgreSQL"):
        _ = config.history_path


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("raw_days: 400\n  rollup_days: 30", r"rollup_days \(30\) must be at least raw_days"),
        ("schema: Site-B", r"penworks\.yaml:3: store\.schema"),
        ("dsn: mysql://db/x", r"penworks\.yaml:3: store\.dsn"),
        ("pool_min: 5\n  pool_max: 2", r"pool_min \(5\) is above pool_max"),
    ],
)
def test_a_bad_postgres_section_is_refused(tmp_path: Path, store: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, f"store:\n  type: postgres\n  {store}\n")


def test_an_unknown_store_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="store"):
        load(tmp_path, "store:\n  type: influx\n")
