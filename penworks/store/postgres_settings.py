"""What a PostgresHistory may be tuned with, checked once when it is built."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from penworks.core import StoreError

DEFAULT_DSN: Final = "postgresql://127.0.0.1:5432/postgres"
DEFAULT_SCHEMA: Final = "penworks"
# Lower-case plain identifiers only: they need no quoting anywhere, also inside the string
# arguments of TimescaleDB's functions.
_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True, slots=True)
class PostgresSettings:
    pool_min: int = 1
    pool_max: int = 4
    batch_rows: int = 50_000  # rows per transaction of an append
    partition_days: int = 1  # days per raw partition (or TimescaleDB chunk), for new schemas
    raw_days: int = 365  # raw samples older than this are dropped by apply_retention
    rollup_days: int = 3_650  # hourly and daily rollups older than this are deleted
    connect_timeout_s: float = 10.0
    command_timeout_s: float = 300.0
    # Extra settings of every connection (e.g. work_mem, or synchronous_commit=off where
    # losing the last second of samples in a server crash is acceptable).
    server_settings: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.pool_min <= self.pool_max:
            raise StoreError(
                f"pool sizes must satisfy 1 <= pool_min <= pool_max,"
                f" got {self.pool_min} and {self.pool_max}"
            )
        for name in ("batch_rows", "partition_days", "raw_days", "rollup_days"):
            if getattr(self, name) < 1:
                raise StoreError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.raw_days > self.rollup_days:
            # Rollups are what is left of old raw data; they must outlive it.
            raise StoreError(
                f"rollup_days ({self.rollup_days}) must be at least raw_days ({self.raw_days})"
            )
        if self.connect_timeout_s <= 0 or self.command_timeout_s <= 0:
            raise StoreError("timeouts must be positive")


def checked_schema(schema: str) -> str:
    if not _SCHEMA_NAME.fullmatch(schema):
        raise StoreError(
            f"schema name {schema!r:.80} is not allowed: use lower-case letters, digits and _,"
            " starting with a letter or _ (at most 63)"
        )
    return schema


def redacted(dsn: str) -> str:
    """The DSN without its password or query, fit for messages and logs."""
    try:
        parts = urlsplit(dsn)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unreadable dsn>"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))
