"""The SQLite history schema and its migrations, tracked in the schema_version table."""

from __future__ import annotations

import sqlite3
from typing import Final

from penworks.core import StoreError
from penworks.store.sqlite_connection import transaction

# Each entry moves the schema one version up; append new ones, never edit old ones.
_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        # Point ids are interned to small integers: the samples key stays short.
        "CREATE TABLE points (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
        # `value` has no declared type, so SQLite keeps 1 an INTEGER, 1.0 a REAL, '1' a TEXT.
        """CREATE TABLE samples (
            point_id INTEGER NOT NULL REFERENCES points (id),
            ts INTEGER NOT NULL,
            value,
            kind INTEGER NOT NULL,
            quality INTEGER NOT NULL,
            PRIMARY KEY (point_id, ts)
        ) WITHOUT ROWID""",
        # The newest sample of each point, kept by every append: latest() reads no history.
        """CREATE TABLE latest (
            point_id INTEGER PRIMARY KEY REFERENCES points (id),
            ts INTEGER NOT NULL,
            value,
            kind INTEGER NOT NULL,
            quality INTEGER NOT NULL
        )""",
        """CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            channel TEXT NOT NULL,
            ts INTEGER NOT NULL,
            reason TEXT NOT NULL,
            payload BLOB NOT NULL
        )""",
        "CREATE INDEX dead_letters_by_ts ON dead_letters (ts)",
        "CREATE INDEX dead_letters_by_source_ts ON dead_letters (source, ts)",
        """CREATE TABLE dead_letter_counts (
            source TEXT NOT NULL,
            channel TEXT NOT NULL,
            reason TEXT NOT NULL,
            count INTEGER NOT NULL,
            last_ts INTEGER NOT NULL,
            PRIMARY KEY (source, channel, reason)
        ) WITHOUT ROWID""",
    ),
)

SCHEMA_VERSION: Final = len(_MIGRATIONS)

_CREATE_VERSION_TABLE: Final = """CREATE TABLE IF NOT EXISTS schema_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
)"""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file up to SCHEMA_VERSION in one transaction; returns the version found."""
    with transaction(conn):
        conn.execute(_CREATE_VERSION_TABLE)
        found = stored_version(conn)
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"history schema version {found} is newer than this Penworks knows"
                f" ({SCHEMA_VERSION}); upgrade Penworks to open it"
            )
        if found == SCHEMA_VERSION:
            return found
        for statements in _MIGRATIONS[found:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(
            "INSERT OR REPLACE INTO schema_version (id, version) VALUES (1, ?)", (SCHEMA_VERSION,)
        )
    return found


def stored_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT version FROM schema_version WHERE id = 1").fetchone()
    return 0 if row is None else int(row[0])
