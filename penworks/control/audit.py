"""The audit log: every command outcome, refusals and duplicates included, in the journal
(kind "audit", key the point id) and on the bus (`event.command`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final

from penworks.bus import Bus
from penworks.bus.subjects import EVENTS
from penworks.control.types import CommandOutcome
from penworks.core import StoreError
from penworks.store.journal import Journal, JournalRecord

log = logging.getLogger(__name__)

AUDIT: Final = "audit"
COMMAND_EVENTS: Final = f"{EVENTS}.command"
_PAGE: Final = 5_000


class AuditLog:
    """Writes outcomes to the journal and the bus; reads them back."""

    def __init__(self, journal: Journal, bus: Bus) -> None:
        self._journal = journal
        self._bus = bus

    async def record(self, outcome: CommandOutcome, at: datetime | None = None) -> None:
        """One record per outcome; `at` is when it was recorded, if not when it happened
        (a duplicate is recorded when it arrives and carries the first outcome's time)."""
        data = outcome.to_json()
        ts = at or outcome.ts
        await self._journal.append([JournalRecord(AUDIT, outcome.request.point, ts, data)])
        await self._bus.publish(COMMAND_EVENTS, dict(data))

    async def query(
        self,
        point: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Records newest first, each its data with `seq` and `recorded` (the record time)."""
        records = await self._journal.query(AUDIT, key=point, start=start, end=end, limit=limit)
        return [{**r.data, "seq": r.seq, "recorded": r.ts.isoformat()} for r in records]

    async def replay(self) -> AsyncIterator[tuple[datetime, CommandOutcome]]:
        """Every outcome oldest first, with its record time (pages by time, so a log of any
        length is read in bounded memory)."""
        start: datetime | None = None
        seen_at_start: set[int] = set()
        while True:
            page = await self._journal.query(AUDIT, start=start, limit=_PAGE, newest_first=False)
            for record in page:
                if record.seq in seen_at_start:
                    continue
                outcome = _outcome(record)
                if outcome is not None:
                    yield record.ts, outcome
            if len(page) < _PAGE:
                return
            last = page[-1].ts
            boundary = {r.seq for r in page if r.ts == last and r.seq is not None}
            if len(boundary) == len(page):
                raise StoreError(f"more than {_PAGE} audit records share the instant {last}")
            start, seen_at_start = last, boundary


def _outcome(record: JournalRecord) -> CommandOutcome | None:
    try:
        return CommandOutcome.from_json(record.data)
    except (KeyError, ValueError, TypeError) as exc:
        log.warning("audit record %s of %s cannot be read: %s", record.seq, record.key, exc)
        return None
