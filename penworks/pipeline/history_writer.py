"""HistoryWriter: drains observations and dead letters from the bus into the History store.

It takes whatever is queued (up to a batch) in one store transaction, so the write rate
follows the load: one row per transaction when quiet, thousands when busy. Stopping drains
the queue first, so a clean shutdown leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from penworks.bus import Bus, Message, Subscription
from penworks.bus.subjects import DEAD_LETTERS, OBSERVATIONS
from penworks.core import Clock, DeadLetter, InvalidObservation, Observation, PenworksError
from penworks.store import History

log = logging.getLogger(__name__)

_FIRST_RETRY_S = 0.1
_LAST_RETRY_S = 5.0
_TRIES_WHEN_STOPPING = 3


@dataclass(frozen=True, slots=True)
class WriterStats:
    observations: int
    new_rows: int
    dead_letters: int
    batches: int
    failures: int
    lost: int  # given up on while stopping with the store still failing
    rejected: int  # refused by the store as invalid, kept as dead letters
    queued: int
    last_write: datetime | None


class HistoryWriter:
    def __init__(
        self,
        bus: Bus,
        history: History,
        clock: Clock,
        *,
        batch_size: int = 10_000,
        queue_size: int = 100_000,
    ) -> None:
        self._history = history
        self._clock = clock
        self._batch_size = batch_size
        self._sub: Subscription = bus.subscribe(">", name="history-writer", maxsize=queue_size)
        self._observations = 0
        self._new_rows = 0
        self._dead_letters = 0
        self._batches = 0
        self._failures = 0
        self._lost = 0
        self._rejected = 0
        self._stopping = False
        self._last_write: datetime | None = None

    async def run(self) -> None:
        """Write until stop() has been called and the queue is drained."""
        while batch := await self._sub.batch(self._batch_size):
            await self._write(batch)

    async def stop(self) -> None:
        """Stop taking new messages; run() returns once those already queued are written."""
        self._stopping = True
        await self._sub.close()

    async def _write(self, batch: list[tuple[str, Message]]) -> None:
        observations: list[Observation] = []
        letters: list[DeadLetter] = []
        for subject, message in batch:
            if isinstance(message, Observation) and subject.startswith(OBSERVATIONS):
                observations.append(message)
            elif isinstance(message, DeadLetter) and subject.startswith(DEAD_LETTERS):
                letters.append(message)
        if not await self._store(observations, letters):
            return
        self._observations += len(observations)
        self._dead_letters += len(letters)
        self._batches += 1
        self._last_write = self._clock.now()

    async def _store(self, observations: list[Observation], letters: list[DeadLetter]) -> bool:
        """Write one batch, retrying with backoff: the bus holds publishers back meanwhile.

        Only while stopping does the writer give up after a few tries, counting what it lost.
        """
        delay = _FIRST_RETRY_S
        attempt = 0
        while True:
            attempt += 1
            try:
                if observations:
                    self._new_rows += await self._history.append(observations)
                if letters:
                    await self._history.append_dead_letters(letters)
            except InvalidObservation as exc:
                # Bad input fails the same way every time: keep it as a dead letter instead.
                bad = observations.pop(exc.index)
                letters.append(self._refused(bad, str(exc)))
                self._rejected += 1
                continue
            except PenworksError:
                self._failures += 1
                log.exception("history write of %d observations failed", len(observations))
                if self._stopping and attempt >= _TRIES_WHEN_STOPPING:
                    self._lost += len(observations) + len(letters)
                    return False
                await asyncio.sleep(delay)
                delay = min(delay * 2, _LAST_RETRY_S)
            else:
                return True

    def _refused(self, observation: Observation, reason: str) -> DeadLetter:
        payload = json.dumps(observation.to_json(), default=repr).encode()
        return DeadLetter("history", observation.point, self._clock.now(), reason, payload)

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
        )
