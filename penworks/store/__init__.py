"""History storage: the History protocol and its backends (SQLite by default)."""

from penworks.store.base import Aggregate, DeadLetterCount, History
from penworks.store.journal import Journal, JournalRecord, MemoryJournal, SqliteJournal
from penworks.store.sqlite import SqliteHistory

__all__ = [
    "Aggregate",
    "DeadLetterCount",
    "History",
    "Journal",
    "JournalRecord",
    "MemoryJournal",
    "SqliteHistory",
    "SqliteJournal",
]
