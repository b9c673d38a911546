"""HistoryWriter: drains observations and dead letters from the bus into the History store.

It takes whatever is queued (up to a batch) in one store transaction, so the write rate
follows the load: one row per transaction when quiet, thousands when busy. A batch is
acknowledged on the bus once it is written. Stopping drains the queue first, so a clean
shutdown leaves nothing half-written.

Without a spool, a failing store is retried with backoff while the bus holds publishers
back. With one, a batch the store refuses goes to the spool and is acknowledged; from then
on new batches go to the spool too, and a replay task writes the spool to the store, oldest
first, trying again with backoff: its first success shows the store is back, and new batches
go straight to the store again while the replay catches up alongside. So after an outage
the old and the new are written in either order: the store is idempotent on (point, ts) and
keeps as `latest` the newest ts of a point, not the last written (the SQLite and PostgreSQL
stores both do), so the result is the same. When the spool cannot take a batch either (full),
that batch is retried unacknowledged, as without a spool. A record replayed but not yet
acknowledged when the process stopped is written again on the next start: nothing changes
for observations, a dead letter is kept twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from penworks.bus import Bus, Message, Subscription, dead_letter_subject, observation_subject
from penworks.bus.subjects import DEAD_LETTERS, OBSERVATIONS
from penworks.core import (
    BusError,
    Clock,
    DeadLetter,
    InvalidObservation,
    Observation,
    PenworksError,
)
from penworks.core.backoff import Backoff, pause
from penworks.pipeline.spool import Spool, SpoolError, SpoolRecord, SpoolStats
from penworks.pipeline.spool_codec import Decoder, Encoder, decode_message, encode_message
from penworks.store import History

log = logging.getLogger(__name__)

_TRIES_WHEN_STOPPING = 3


@dataclass(frozen=True, slots=True)
class WriterStats:
    observations: int  # stored, straight from the bus or replayed from the spool
    new_rows: int
    dead_letters: int
    batches: int
    failures: int
    lost: int  # given up on while stopping with the store still failing
    rejected: int  # refused by the store as invalid, kept as dead letters
    queued: int
    last_write: datetime | None
    spooled: int = 0  # observations and dead letters put in the spool
    replayed: int = 0  # spool records written to the store
    store_down: bool = False  # new batches go to the spool until a replay succeeds
    spool: SpoolStats | None = None


@dataclass(slots=True)
class _Batch:
    observations: list[Observation]
    letters: list[DeadLetter]
    taken: int = 0  # messages taken from the bus for it, including those not kept

    def __len__(self) -> int:
        return len(self.observations) + len(self.letters)

    @classmethod
    def of(cls, messages: list[tuple[str, Message]]) -> _Batch:
        """The observations and dead letters among messages taken from the bus."""
        observations: list[Observation] = []
        letters: list[DeadLetter] = []
        keep, letter = observations.append, letters.append
        for subject, message in messages:
            if isinstance(message, Observation) and subject.startswith(OBSERVATIONS):
                keep(message)
            elif isinstance(message, DeadLetter) and subject.startswith(DEAD_LETTERS):
                letter(message)
        return cls(observations, letters, len(messages))


class HistoryWriter:
    def __init__(
        self,
        bus: Bus,
        history: History,
        clock: Clock,
        *,
        batch_size: int = 10_000,
        queue_size: int = 100_000,
        spool: Spool | None = None,  # opened by the caller before run(), closed after it
        encode: Encoder = encode_message,
        decode: Decoder = decode_message,
        retry_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self._history = history
        self._clock = clock
        self._batch_size = batch_size
        self._spool = spool
        self._encode = encode
        self._decode = decode
        self._retry_s = retry_s
        self._sub: Subscription = bus.subscribe(
            ">", name="history-writer", maxsize=queue_size, durable=True
        )
        self._observations = 0
        self._new_rows = 0
        self._dead_letters = 0
        self._batches = 0
        self._failures = 0
        self._lost = 0
        self._rejected = 0
        self._spooled = 0
        self._replayed = 0
        self._stopping = False
        self._store_down = False
        self._spool_grew = asyncio.Event()
        self._drained = asyncio.Event()
        self._last_write: datetime | None = None

    async def run(self) -> None:
        """Write until stop() has been called and the queue is drained."""
        async with asyncio.TaskGroup() as tasks:
            if self._spool is not None:
                # What an earlier run spooled is written before the store is tried directly.
                self._store_down = self._spool.pending > 0
                tasks.create_task(self._replay(self._spool), name="history-replay")
            try:
                while True:
                    # Only the observations and letters are kept while the store writes: the
                    # (subject, message) pairs go at once, before the collector sees them.
                    batch = _Batch.of(await self._sub.batch(self._batch_size))
                    if not batch.taken:
                        break
                    await self._write(batch)
            finally:
                self._drained.set()  # the replay ends too; what is left waits in the spool

    async def stop(self) -> None:
        """Stop taking new messages; run() returns once those already queued are written."""
        self._stopping = True
        await self._sub.close()

    async def _write(self, batch: _Batch) -> None:
        if await self._keep(batch):
            try:
                await self._sub.ack()
            except BusError as exc:  # they come again and are written again: no harm
                log.warning("could not acknowledge %d messages: %s", batch.taken, exc)

    async def _keep(self, batch: _Batch) -> bool:
        """Store the batch, else spool it, else retry with backoff (the bus holds back).

        Only while stopping does the writer give up after a few tries, counting what it lost.
        """
        first_s, last_s = self._retry_s
        delay = first_s
        attempt = 0
        while True:
            attempt += 1
            if not self._store_down and await self._try_store(batch):
                return True
            if self._spool is not None and await self._to_spool(self._spool, batch):
                return True
            if self._stopping and attempt >= _TRIES_WHEN_STOPPING:
                self._lost += len(batch)
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, last_s)

    async def _try_store(self, batch: _Batch) -> bool:
        try:
            await self._store(batch)
        except PenworksError:
            self._failures += 1
            log.exception("history write of %d observations failed", len(batch.observations))
            self._store_down = self._spool is not None
            return False
        return True

    async def _store(self, batch: _Batch) -> None:
        """Write one batch in the store; an observation it refuses becomes a dead letter."""
        while True:
            try:
                if batch.observations:
                    # Not `+= await`: the replay writes alongside, and that would lose counts.
                    new_rows = await self._history.append(batch.observations)
                    self._new_rows += new_rows
                if batch.letters:
                    await self._history.append_dead_letters(batch.letters)
            except InvalidObservation as exc:
                # Bad input fails the same way every time: keep it as a dead letter instead.
                bad = batch.observations.pop(exc.index)
                batch.letters.append(self._refused(bad, str(exc)))
                self._rejected += 1
                continue
            self._observations += len(batch.observations)
            self._dead_letters += len(batch.letters)
            self._batches += 1
            self._last_write = self._clock.now()
            return

    def _refused(self, observation: Observation, reason: str) -> DeadLetter:
        payload = json.dumps(observation.to_json(), default=repr).encode()
        return DeadLetter("history", observation.point, self._clock.now(), reason, payload)

    # --- the spool -----------------------------------------------------------------------

    async def _to_spool(self, spool: Spool, batch: _Batch) -> bool:
        records = await asyncio.to_thread(self._encode_batch, batch)
        try:
            await spool.append(records)
        except SpoolError as exc:
            log.warning("history batch not spooled (%s); the bus holds it back meanwhile", exc)
            return False
        self._spooled += len(records)
        self._spool_grew.set()
        return True

    async def _replay(self, spool: Spool) -> None:
        """Write the spool to the store, oldest first, until the live queue is drained."""
        backoff = Backoff(*self._retry_s)
        while not self._drained.is_set():
            try:
                if await self._replay_batch(spool):
                    backoff.reset()
                    continue
            except SpoolError:
                log.exception("reading history spool %s failed", spool.name)
            await pause(backoff.next_delay(), self._drained)

    async def _replay_batch(self, spool: Spool) -> bool:
        """Write the oldest spooled batch; False when the store refused it."""
        self._spool_grew.clear()
        records = await spool.read(self._batch_size)
        if not records:
            self._store_down = False  # nothing to replay: let batches try the store
            await self._wait_for_records()
            return True
        batch = await asyncio.to_thread(self._decode_batch, records)
        try:
            await self._store(batch)
        except PenworksError as exc:
            self._failures += 1
            self._store_down = True
            log.warning("history replay of %d records failed: %s", len(records), exc)
            await spool.rewind()
            return False
        await spool.ack(records[-1].seq)
        self._replayed += len(records)
        self._store_down = False
        return True

    async def _wait_for_records(self) -> None:
        waits = [asyncio.ensure_future(e.wait()) for e in (self._spool_grew, self._drained)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def _encode_batch(self, batch: _Batch) -> list[bytes]:
        encode = self._encode
        return [encode(observation_subject(o.point), o) for o in batch.observations] + [
            encode(dead_letter_subject(d.source), d) for d in batch.letters
        ]

    def _decode_batch(self, records: list[SpoolRecord]) -> _Batch:
        batch = _Batch([], [])
        for record in records:
            try:
                _, message = self._decode(record.data)
            except ValueError as exc:
                message = DeadLetter(
                    "history", f"spool:{record.seq}", self._clock.now(), str(exc), record.data
                )
            if isinstance(message, Observation):
                batch.observations.append(message)
            elif isinstance(message, DeadLetter):
                batch.letters.append(message)
        return batch

    def stats(self) -> WriterStats:
        return WriterStats(
            observations=self._observations,
            new_rows=self._new_rows,
            dead_letters=self._dead_letters,
            batches=self._batches,
            failures=self._failures,
            lost=self._lost,
            rejected=self._rejected,
            queued=self._sub.stats().depth,
            last_write=self._last_write,
            spooled=self._spooled,
            replayed=self._replayed,
            store_down=self._store_down,
            spool=None if self._spool is None else self._spool.stats(),
        )
