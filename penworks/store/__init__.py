"""History storage: the History protocol and its backends (SQLite by default, PostgreSQL)."""

from penworks.store.base import Aggregate, DeadLetterCount, History
from penworks.store.journal import Journal, JournalRecord, MemoryJournal, SqliteJournal
from penworks.store.postgres import PostgresHistory
from penworks.store.postgres_retention import RetentionReport
from penworks.store.postgres_settings import PostgresSettings
from penworks.store.sqlite import SqliteHistory

__all__ = [
    "Aggregate",
    "DeadLetterCount",
    "History",
    "Journal",
    "JournalRecord",
    "MemoryJournal",
    "PostgresHistory",
    "PostgresSettings",
    "RetentionReport",
    "SqliteHistory",
    "SqliteJournal",
]
