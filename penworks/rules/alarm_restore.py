"""Reading the alarm book back from the journal after a restart.

The latest record of each alarm holds its snapshot; the records of the last days rebuild
what the book counts in memory: annunciations (KPIs), alarms raised per area (floods),
condition changes (chatter). The journal is read newest first, in pages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from penworks.rules.alarm_flood import Flood, PastFlood
from penworks.rules.alarm_journal import ALARM_KIND, FLOOD_KIND, view_from_json
from penworks.rules.alarm_kpis import DAY, KEEP
from penworks.rules.alarm_settings import AlarmSettings
from penworks.rules.alarm_types import AlarmView
from penworks.store import Journal, JournalRecord

PAGE = 5000
_TICK = timedelta(microseconds=1)  # the journal's resolution
_ALL = 2**62


@dataclass(slots=True)
class RestoredBook:
    alarms: list[AlarmView] = field(default_factory=list)
    annunciations: list[tuple[datetime, str]] = field(default_factory=list)
    raised: dict[str, list[datetime]] = field(default_factory=dict)  # area -> times
    changes: dict[str, list[datetime]] = field(default_factory=dict)  # alarm -> times
    chattering: dict[str, datetime] = field(default_factory=dict)  # alarm -> latest change
    floods: list[Flood] = field(default_factory=list)
    past_floods: list[PastFlood] = field(default_factory=list)


async def read_book(journal: Journal, now: datetime, settings: AlarmSettings) -> RestoredBook:
    book = RestoredBook()
    latest: dict[str, JournalRecord] = {}
    last_change: dict[str, datetime] = {}
    held: list[tuple[datetime, str]] = []  # (time, area) of annunciations floods held back
    raised: defaultdict[str, list[datetime]] = defaultdict(list)
    changes: defaultdict[str, list[datetime]] = defaultdict(list)
    async for record in scan(journal, ALARM_KIND):
        latest.setdefault(record.key, record)
        if record.ts <= now - KEEP:
            continue
        data, area = record.data, str(record.data["alarm"]["area"])
        if data.get("annunciated"):
            book.annunciations.append((record.ts, record.key))
        if data.get("held"):
            held.append((record.ts, area))
        if data.get("raised") and record.ts > now - settings.flood_window:
            raised[area].append(record.ts)
        if data.get("changed"):
            last_change.setdefault(record.key, record.ts)
            if record.ts > now - settings.chatter_window:
                changes[record.key].append(record.ts)
    book.alarms = [view_from_json(r.data["alarm"]) for r in latest.values()]
    book.raised, book.changes = dict(raised), dict(changes)
    book.chattering = {
        view.id: last_change.get(view.id, view.state_since)
        for view in book.alarms
        if view.chattering
    }
    await _read_floods(journal, now, book, held)
    return book


async def _read_floods(
    journal: Journal, now: datetime, book: RestoredBook, held: list[tuple[datetime, str]]
) -> None:
    seen: set[str] = set()
    async for record in scan(journal, FLOOD_KIND):
        since = datetime.fromisoformat(record.data["since"])
        if record.key not in seen and record.data["event"] == "start":
            total = sum(1 for ts, area in held if area == record.key and ts >= since)
            book.floods.append(Flood(record.key, since, total))
        elif record.data["event"] == "end" and record.ts > now - DAY:
            book.past_floods.append(PastFlood(record.key, since, record.ts))
        seen.add(record.key)


async def scan(journal: Journal, kind: str) -> AsyncIterator[JournalRecord]:
    """Every record of a kind, newest first, a page at a time."""
    end: datetime | None = None
    last: tuple[datetime, int] | None = None  # the oldest record given so far
    while True:
        page = await journal.query(kind, end=end, limit=PAGE)
        fresh = [r for r in page if last is None or _order(r) < last]
        if len(page) == PAGE and not fresh:
            # A whole page at one instant, already given: take that instant whole, then go on
            # before it (the journal pages by time, not by sequence).
            instant = page[-1].ts
            whole = await journal.query(kind, start=instant, end=instant + _TICK, limit=_ALL)
            for record in whole:
                if last is None or _order(record) < last:
                    yield record
            end, last = instant, None
            continue
        for record in fresh:
            yield record
        if len(page) < PAGE:
            return
        last = _order(fresh[-1])
        end = last[0] + _TICK  # the rest of that instant, then older ones


def _order(record: JournalRecord) -> tuple[datetime, int]:
    return record.ts, record.seq or 0
