"""Opening SQLite connections the way Penworks uses them, and explicit transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

BUSY_TIMEOUT_MS: Final = 5_000
_WRITER_CACHE_KIB: Final = 65_536  # inserts land all over the (point, ts) tree: keep it cached
_READER_CACHE_KIB: Final = 16_384
# Checkpoint less often than SQLite's 1,000 pages: a batch spread over many points dirties
# a page per point, and a page rewritten many times between checkpoints is copied once.
_WAL_CHECKPOINT_PAGES: Final = 16_384
_WAL_SIZE_LIMIT_BYTES: Final = 64 * 2**20  # what the WAL is cut back to after a checkpoint

_COMMON_PRAGMAS: Final = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA temp_store = MEMORY",
)


def connect_writer(path: Path) -> sqlite3.Connection:
    """The one connection that writes: WAL, and synchronous=NORMAL (safe in WAL mode)."""
    conn = _connect(path)
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"could not switch {path} to WAL (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{_WRITER_CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {_WAL_CHECKPOINT_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit = {_WAL_SIZE_LIMIT_BYTES}")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """A connection that may only read: it sees every committed write, never blocks the writer."""
    conn = _connect(path)
    conn.execute("PRAGMA query_only = ON")
    conn.execute(f"PRAGMA cache_size = -{_READER_CACHE_KIB}")
    return conn


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: the module starts no transactions; we BEGIN and COMMIT ourselves.
    # check_same_thread=False: calls come from worker threads, one at a time (asyncio locks).
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in _COMMON_PRAGMAS:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error so nothing is half-written."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (disk full, ...)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
