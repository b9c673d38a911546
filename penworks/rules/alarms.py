"""The alarm book: every alarm's ISA-18.2 state, the operator's actions on it, its history.

Rule instances tell the book their conditions (`condition`, the AlarmSink); operators
acknowledge, shelve, comment and take alarms out of service. Every change is a journal
record holding a snapshot of the alarm, so `restore` rebuilds the book after a restart
and `history` reads an alarm's life back. Floods per area and chattering alarms hold
annunciations back, visibly (`suppressed_by`). Transitions go to every listener and, with
a bus, on `event.alarm`; floods on `event.alarm_flood`.

One operation runs at a time (an asyncio lock): the state change, its journal records and
their delivery happen in that order, so records, listeners and the bus agree on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from penworks.bus import Bus
from penworks.core import Clock
from penworks.core.clock import sleep_or_wake
from penworks.rules.alarm_batch import NOTHING, Batch, Publisher, Settled
from penworks.rules.alarm_chatter import ChatterWatch
from penworks.rules.alarm_entry import AlarmEntry
from penworks.rules.alarm_flood import Flood, FloodWatch
from penworks.rules.alarm_journal import ALARM_KIND, transition_from_record
from penworks.rules.alarm_kpis import AlarmKpis, AnnunciationLog, compute_kpis, spans
from penworks.rules.alarm_listeners import AlarmListener, Fanout
from penworks.rules.alarm_restore import RestoredBook, read_book
from penworks.rules.alarm_settings import AlarmSettings
from penworks.rules.alarm_types import (
    SUPPRESSED_STATES,
    Acknowledgement,
    AlarmOperationRefused,
    AlarmPriority,
    AlarmState,
    AlarmTransition,
    AlarmView,
    FloodView,
    ServiceRemoval,
    Shelf,
    TransitionCause,
    UnknownAlarm,
)
from penworks.rules.sinks import AlarmCondition
from penworks.store import Journal

__all__ = ["AlarmBook", "AlarmBookStats", "AlarmSettings"]

_IDLE_CHECK = timedelta(seconds=60)  # longest run() sleeps with no timer due


@dataclass(frozen=True, slots=True)
class AlarmBookStats:
    alarms: int
    records: int  # journal records written since start
    listeners: int
    listener_drops: int  # transitions dropped by slow listeners, all together


class AlarmBook:
    """ISA-18.2 alarm management for the whole site."""

    def __init__(
        self,
        clock: Clock,
        journal: Journal,
        bus: Bus | None = None,
        settings: AlarmSettings | None = None,
    ) -> None:
        self._clock = clock
        self._journal = journal
        self.settings = settings or AlarmSettings()
        s = self.settings
        self._entries: dict[str, AlarmEntry] = {}
        self._shelved: dict[str, datetime] = {}  # alarm id -> shelf expiry
        self._flood = FloodWatch(s.flood_threshold, s.flood_window, s.flood_release_below)
        self._chatter = ChatterWatch(s.chatter_transitions, s.chatter_window, s.chatter_release)
        self._log = AnnunciationLog()
        self._fanout = Fanout()
        self._publisher = Publisher(journal, bus, self._fanout)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    # --- the rule side -------------------------------------------------------------------

    async def condition(self, change: AlarmCondition) -> None:
        """Take a rule instance's condition: create the alarm, follow it, suppress it."""
        async with self._lock:
            batch = Batch(self._clock.now())
            entry = self._entries.get(change.alarm_id)
            created = entry is None
            if entry is None:
                entry = self._entries[change.alarm_id] = AlarmEntry.new(change, batch.now)
            before, was_held = entry.state, entry.held
            described = entry.describe(change)
            cause = TransitionCause.CONDITION
            if change.suppressed != entry.design:
                entry.design = change.suppressed
                cause = TransitionCause.SUPPRESS if entry.design else TransitionCause.UNSUPPRESS
            changed = entry.set_active(change.active, batch.now)
            if changed and self._chatter.changed(entry.id, batch.now):
                entry.chatter = True
                cause = TransitionCause.CHATTER
            settled = self._settle(entry, batch, was_held)
            if settled.held and cause is TransitionCause.CONDITION:
                cause = TransitionCause.FLOOD
            if created or described or changed or cause is not TransitionCause.CONDITION:
                batch.step(entry, before, cause, settled=settled, changed=changed)
            await self._commit(batch)

    # --- operator actions ----------------------------------------------------------------

    async def acknowledge(self, alarm_id: str, user: str, comment: str = "") -> AlarmView:
        """Acknowledge the alarm's annunciation: unack_active -> ack_active, unack_rtn ->
        normal. Refused when nothing awaits acknowledgement."""
        async with self._lock:
            entry, batch = self._entry(alarm_id), Batch(self._clock.now())
            _need_user(user)
            before = entry.state
            if before is AlarmState.NORMAL:
                raise AlarmOperationRefused(f"alarm {alarm_id!r} is normal: nothing to acknowledge")
            if before is AlarmState.ACK_ACTIVE:
                by = f" by {entry.ack.by} at {entry.ack.at.isoformat()}" if entry.ack else ""
                raise AlarmOperationRefused(f"alarm {alarm_id!r} is already acknowledged{by}")
            if before in SUPPRESSED_STATES:
                raise AlarmOperationRefused(
                    f"alarm {alarm_id!r} is {before.value}: it does not annunciate, so there is "
                    "nothing to acknowledge"
                )
            entry.ack = Acknowledgement(user, batch.now, comment)
            active = before is AlarmState.UNACK_ACTIVE
            entry.base = AlarmState.ACK_ACTIVE if active else AlarmState.NORMAL
            batch.step(entry, before, TransitionCause.ACK, user=user, comment=comment)
            await self._commit(batch)
            return entry.view()

    async def shelve(self, alarm_id: str, user: str, duration: timedelta, reason: str) -> AlarmView:
        """Shelve the alarm for `duration` (at most settings.max_shelve); it comes back on
        its own then. Shelving a shelved alarm replaces its shelf."""
        async with self._lock:
            entry, batch = self._entry(alarm_id), Batch(self._clock.now())
            _need_user(user)
            _need_text(reason, "a reason to shelve")
            longest = self.settings.max_shelve
            if not timedelta(0) < duration <= longest:
                raise AlarmOperationRefused(
                    f"alarm {alarm_id!r} can be shelved for up to {longest}, not {duration}"
                )
            if entry.out_of_service is not None:
                raise AlarmOperationRefused(
                    f"alarm {alarm_id!r} is out of service: return it to service first"
                )
            before = entry.state
            entry.shelf = Shelf(user, reason, batch.now, batch.now + duration)
            self._shelved[alarm_id] = entry.shelf.until
            batch.step(entry, before, TransitionCause.SHELVE, user=user, comment=reason)
            await self._commit(batch)
            return entry.view()

    async def unshelve(self, alarm_id: str, user: str, comment: str = "") -> AlarmView:
        """Take the alarm off the shelf now; if its condition is active it annunciates."""
        async with self._lock:
            entry, batch = self._entry(alarm_id), Batch(self._clock.now())
            _need_user(user)
            if entry.shelf is None:
                raise AlarmOperationRefused(f"alarm {alarm_id!r} is not shelved")
            self._unshelve(batch, entry, TransitionCause.UNSHELVE, user, comment)
            await self._commit(batch)
            return entry.view()

    async def comment(self, alarm_id: str, user: str, text: str) -> AlarmView:
        """Add an operator's note to the alarm's history; its state does not change."""
        async with self._lock:
            entry, batch = self._entry(alarm_id), Batch(self._clock.now())
            _need_user(user)
            _need_text(text, "a comment")
            batch.step(entry, entry.state, TransitionCause.COMMENT, user=user, comment=text)
            await self._commit(batch)
            return entry.view()

    async def set_out_of_service(
        self, alarm_id: str, user: str, out: bool, reason: str = ""
    ) -> AlarmView:
        """Take the alarm out of service (maintenance, a broken sensor: a reason is needed)
        or return it; on return it is evaluated from its condition."""
        async with self._lock:
            entry, batch = self._entry(alarm_id), Batch(self._clock.now())
            _need_user(user)
            before = entry.state
            if out:
                if entry.out_of_service is not None:
                    raise AlarmOperationRefused(f"alarm {alarm_id!r} is already out of service")
                _need_text(reason, "a reason to take an alarm out of service")
                entry.out_of_service = ServiceRemoval(user, reason, batch.now)
                cause, settled = TransitionCause.OUT_OF_SERVICE, NOTHING
            else:
                if entry.out_of_service is None:
                    raise AlarmOperationRefused(f"alarm {alarm_id!r} is in service")
                entry.out_of_service = None
                cause, settled = TransitionCause.RETURN_TO_SERVICE, self._settle(entry, batch, True)
            batch.step(entry, before, cause, user=user, comment=reason, settled=settled)
            await self._commit(batch)
            return entry.view()

    # --- queries -------------------------------------------------------------------------

    def get(self, alarm_id: str) -> AlarmView:
        return self._entry(alarm_id).view()

    def alarms(
        self,
        state: AlarmState | None = None,
        priority_at_most: AlarmPriority | None = None,
        area: str | None = None,
        active: bool | None = None,
        *,
        rule: str | None = None,
        point: str | None = None,
        unacknowledged: bool | None = None,
    ) -> list[AlarmView]:
        """Alarms that match every filter given, most urgent first, then newest state first.

        `priority_at_most` keeps that priority and the more urgent ones (critical is 1)."""
        found = [
            view
            for view in (e.view() for e in self._entries.values())
            if (state is None or view.state is state)
            and (priority_at_most is None or view.priority <= priority_at_most)
            and (area is None or view.area == area)
            and (active is None or view.active == active)
            and (rule is None or view.rule == rule)
            and (point is None or view.point == point)
            and (unacknowledged is None or view.unacknowledged == unacknowledged)
        ]
        found.sort(key=lambda v: v.id)
        found.sort(key=lambda v: v.state_since, reverse=True)
        found.sort(key=lambda v: v.priority)
        return found

    async def history(
        self,
        alarm_id: str,
        limit: int = 100,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[AlarmTransition]:
        """The alarm's records, newest first: transitions, acknowledgements, comments..."""
        self._entry(alarm_id)
        records = await self._journal.query(
            ALARM_KIND, key=alarm_id, start=start, end=end, limit=limit
        )
        return [transition_from_record(r) for r in records]

    def floods(self) -> list[FloodView]:
        now = self._clock.now()
        return [self._flood_view(f, now) for f in self._flood.floods()]

    def chattering(self) -> list[str]:
        return self._chatter.chattering()

    def kpis(self, now: datetime | None = None) -> AlarmKpis:
        """Alarm system performance at `now` (the clock's now by default)."""
        now = now or self._clock.now()
        current = [(f.area, f.since) for f in self._flood.floods()]
        floods = spans(current, self._flood.past(now - timedelta(days=1)))
        views = [e.view() for e in self._entries.values()]
        return compute_kpis(now, self._log.recent(now), views, floods, self.settings.stale_after)

    def listen(self, maxsize: int = 1000) -> AlarmListener:
        """A new listener that gets every transition from now on (`close()` it when done);
        beyond `maxsize` waiting, its oldest are dropped and counted."""
        return self._fanout.open(maxsize)

    def stats(self) -> AlarmBookStats:
        listeners = self._fanout.listeners()
        return AlarmBookStats(
            alarms=len(self._entries),
            records=self._publisher.records,
            listeners=len(listeners),
            listener_drops=sum(listener.dropped for listener in listeners),
        )

    # --- time ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Expire shelves, release chattering alarms and end floods on time; until
        cancelled."""
        while True:
            self._wake.clear()
            await self.tick()
            await self._sleep(self._delay())

    async def tick(self) -> None:
        """Do what is due at the clock's now: shelf expiries, chatter releases, flood ends."""
        async with self._lock:
            batch = Batch(self._clock.now())
            for alarm_id, until in sorted(self._shelved.items(), key=lambda kv: kv[1]):
                if until <= batch.now:
                    entry = self._entries[alarm_id]
                    self._unshelve(batch, entry, TransitionCause.SHELVE_EXPIRED, None, "")
            for alarm_id in self._chatter.released(batch.now):
                self._release(batch, self._entries[alarm_id], TransitionCause.CHATTER)
            for flood in self._flood.ended(batch.now):
                self._end_flood(batch, flood)
            self._chatter.forget(batch.now)
            await self._commit(batch)

    async def restore(self) -> None:
        """Rebuild the book from the journal (at start, before conditions arrive): states,
        shelves, acknowledgements, floods, chattering and the KPI counts."""
        async with self._lock:
            now = self._clock.now()
            book: RestoredBook = await read_book(self._journal, now, self.settings)
            self._entries = {view.id: AlarmEntry.from_view(view) for view in book.alarms}
            self._shelved = {
                e.id: e.shelf.until for e in self._entries.values() if e.shelf is not None
            }
            self._chatter.restore(book.changes, book.chattering)
            self._flood.restore(book.raised, book.floods, book.past_floods)
            self._log.restore(book.annunciations)
            self._wake.set()

    # --- inside --------------------------------------------------------------------------

    def _entry(self, alarm_id: str) -> AlarmEntry:
        entry = self._entries.get(alarm_id)
        if entry is None:
            raise UnknownAlarm(alarm_id)
        return entry

    def _settle(
        self, entry: AlarmEntry, batch: Batch, was_held: bool, count: bool = True
    ) -> Settled:
        """Bring the annunciation state in line with the condition, once nothing holds the
        alarm; an entry into unack_active is an annunciation, unless a flood holds it."""
        if entry.held:
            return NOTHING
        target = entry.settled_base(was_held)
        if target is not AlarmState.UNACK_ACTIVE or (
            entry.base is AlarmState.UNACK_ACTIVE and not was_held
        ):
            entry.base = target
            return NOTHING
        started = self._flood.raised(entry.area, batch.now) if count else None
        flood = self._flood.flood(entry.area)
        held = flood is not None and entry.priority >= self.settings.flood_suppresses_at_or_below
        if held and flood is not None:
            entry.flood = True
            flood.held_total += 1
        else:
            entry.base = AlarmState.UNACK_ACTIVE
            entry.ack = None
            entry.annunciated_at = batch.now
            self._log.add(batch.now, entry.id)
        if started is not None:
            batch.flood(self._flood_view(started, batch.now), "start")
        return Settled(raised=count, annunciated=not held, held=held)

    def _unshelve(
        self,
        batch: Batch,
        entry: AlarmEntry,
        cause: TransitionCause,
        user: str | None,
        comment: str,
    ) -> None:
        before = entry.state
        entry.shelf = None
        self._shelved.pop(entry.id, None)
        settled = self._settle(entry, batch, True)
        batch.step(entry, before, cause, user=user, comment=comment, settled=settled)

    def _release(self, batch: Batch, entry: AlarmEntry, cause: TransitionCause) -> None:
        """Chatter or a flood let the alarm go; it follows its condition again."""
        before = entry.state
        if cause is TransitionCause.CHATTER:
            entry.chatter = False
        else:
            entry.flood = False
        # What a flood held back was counted when it was raised: not again.
        settled = self._settle(entry, batch, True, count=cause is TransitionCause.CHATTER)
        batch.step(entry, before, cause, settled=settled)

    def _end_flood(self, batch: Batch, flood: Flood) -> None:
        view = self._flood_view(flood, batch.now)
        batch.flood(view, "end")
        for alarm_id in view.suppressed:
            self._release(batch, self._entries[alarm_id], TransitionCause.FLOOD)

    def _flood_view(self, flood: Flood, now: datetime) -> FloodView:
        held = sorted(e.id for e in self._entries.values() if e.flood and e.area == flood.area)
        return FloodView(
            area=flood.area,
            since=flood.since,
            count=self._flood.count(flood.area, now),
            suppressed=tuple(held),
            suppressed_total=flood.held_total,
        )

    async def _commit(self, batch: Batch) -> None:
        if batch:
            await self._publisher.publish(batch)
            self._wake.set()

    def _delay(self) -> float:
        now = self._clock.now()
        due = [
            d
            for d in (
                min(self._shelved.values(), default=None),
                self._chatter.next_deadline(),
                self._flood.next_deadline(),
            )
            if d is not None
        ]
        deadline = min(due, default=now + _IDLE_CHECK)
        return max(0.0, min((deadline - now).total_seconds(), _IDLE_CHECK.total_seconds()))

    async def _sleep(self, seconds: float) -> None:
        """Sleep clock time, or less when an operation may have brought a timer forward."""
        await sleep_or_wake(self._clock, seconds, self._wake)


def _need_user(user: str) -> None:
    if not user.strip():
        raise AlarmOperationRefused("the user who acts on an alarm must be named")


def _need_text(text: str, what: str) -> None:
    if not text.strip():
        raise AlarmOperationRefused(f"{what} is required")
