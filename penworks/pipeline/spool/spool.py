"""Spool: a bounded FIFO of byte records on disk that survives crashes, for store and forward.

What an append that returned put in is there after a crash of the process (and, with
``Fsync.BATCH``, of the machine) until it is acknowledged. Records are handed out in append
order; after a restart or a rewind(), every record not yet acknowledged is handed out again,
so a consumer sees each record at least once, and once more only if it did not acknowledge it.

Appends from concurrent callers are written together, one write and one fsync per group
(group commit); every call is all or nothing. The files are blocking IO, done in a worker
thread, one operation at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from penworks.pipeline.spool.files import (
    FRAME,
    MAGIC,
    Fsync,
    SpoolError,
    SpoolFiles,
    SpoolFull,
    SpoolRecord,
)
from penworks.pipeline.spool.fill import FillAlert, FillWatch

T = TypeVar("T")

_ALERTS_KEPT = 16  # transitions kept for a slow reader of alerts(); the oldest go first


@dataclass(frozen=True, slots=True)
class SpoolStats:
    name: str
    records: int  # held, not yet acknowledged
    bytes: int  # on disk
    capacity: int
    fill: float  # bytes / capacity
    segments: int
    appended: int  # records appended since opening
    replayed: int  # records handed out since opening (again after a rewind)
    acknowledged: int  # records acknowledged since opening
    rejected: int  # records refused because the spool was full
    recovered: int  # records found unacknowledged on opening
    cut_bytes: int  # torn or damaged bytes cut away
    high_water: bool


_Waiter = tuple[Sequence[bytes], int, "asyncio.Future[None]"]


class Spool:
    """Construct, ``await open()``, use, ``await close()`` (as the History stores)."""

    def __init__(
        self,
        directory: Path,
        *,
        capacity_bytes: int,
        name: str = "spool",
        segment_bytes: int | None = None,
        fsync: Fsync = Fsync.BATCH,
        high_water: float = 0.8,
        low_water: float = 0.6,
    ) -> None:
        """A spool kept in `directory`; one process at a time may hold it open.

        `capacity_bytes` bounds the bytes of its segment files, framing included, and
        acknowledged records too while they share a segment with pending ones: segments
        default to an eighth of the capacity (at most 16 MiB), so those hold little of it.
        """
        if capacity_bytes < len(MAGIC) + FRAME.size:
            raise ValueError(f"capacity_bytes is too small: {capacity_bytes}")
        if segment_bytes is None:
            segment_bytes = max(len(MAGIC) + FRAME.size, min(capacity_bytes // 8, 16 << 20))
        self.name = name
        self.capacity = capacity_bytes
        self._files = SpoolFiles(directory, segment_bytes, fsync)
        self._watch = FillWatch(high_water, low_water)
        self._io = asyncio.Lock()
        self._queued: list[_Waiter] = []
        self._committer: asyncio.Task[None] | None = None
        self._reserved = 0  # bytes of appends queued or being written
        self._disk_bytes = 0
        self._pending = 0
        self._segments = 0
        self._cut_bytes = 0
        self._alerts: asyncio.Queue[FillAlert] = asyncio.Queue()
        self._appended = 0
        self._replayed = 0
        self._acknowledged = 0
        self._rejected = 0
        self._open = False

    async def open(self) -> None:
        """Open (or create) the directory, cut a torn tail, find what is not acknowledged."""
        if self._open:
            raise SpoolError(f"spool {self.name} is already open")
        async with self._io:
            await _in_thread(self.name, "open", self._files.open)
            self._open = True
            self._refresh()

    # --- writing -------------------------------------------------------------------------

    async def append(self, records: Sequence[bytes]) -> None:
        """Add records at the end; when this returns they are kept.

        Raises SpoolFull, writing nothing, if they do not fit in the capacity.
        """
        self._need_open()
        if not records:
            return
        size = sum(len(r) for r in records) + FRAME.size * len(records)
        used = self._disk_bytes + self._reserved
        if used + size > self.capacity:
            self._rejected += len(records)
            raise SpoolFull(
                f"spool {self.name} is full: {used} of {self.capacity} bytes used, "
                f"{len(records)} records of {size} bytes refused"
            )
        self._reserved += size
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((records, size, done))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit(), name=f"spool-{self.name}")
        await done

    async def _commit(self) -> None:
        """Write what is queued, group by group, until nothing is."""
        try:
            while self._queued:
                group, self._queued = self._queued, []
                records = [r for waiter in group for r in waiter[0]]
                error: SpoolError | None = None
                async with self._io:
                    try:
                        await _in_thread(self.name, "append", self._files.append, records)
                    except SpoolError as exc:
                        error = exc
                    else:
                        self._appended += len(records)
                    self._reserved -= sum(waiter[1] for waiter in group)
                    self._refresh()
                for _, _, done in group:
                    if done.done():
                        continue
                    if error is None:
                        done.set_result(None)
                    else:
                        done.set_exception(SpoolError(f"spool {self.name}: cannot write: {error}"))
        finally:
            self._committer = None

    # --- reading -------------------------------------------------------------------------

    async def read(self, max_records: int = 1000, max_bytes: int = 1 << 20) -> list[SpoolRecord]:
        """The next records not yet handed out, oldest first (at least one if there is any,
        whatever its size); an empty list when every record has been handed out."""
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self._need_open()
        async with self._io:
            records = await _in_thread(self.name, "read", self._files.read, max_records, max_bytes)
            self._refresh()
        self._replayed += len(records)
        return records

    async def ack(self, seq: int) -> None:
        """Records up to and including `seq` are done with: they are never handed out again."""
        self._need_open()
        async with self._io:
            before = self._files.acked
            await _in_thread(self.name, "ack", self._files.ack, seq)
            self._acknowledged += self._files.acked - before
            self._refresh()

    async def rewind(self) -> None:
        """Hand out again from the oldest record not acknowledged (after a failed delivery)."""
        async with self._io:
            self._files.rewind()

    # --- state ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Records held, not yet acknowledged."""
        return self._pending

    @property
    def fill(self) -> float:
        return self._disk_bytes / self.capacity

    async def alerts(self) -> AsyncIterator[FillAlert]:
        """Each crossing of the high-water mark, and each fall back below the low one."""
        while True:
            yield await self._alerts.get()

    def stats(self) -> SpoolStats:
        return SpoolStats(
            name=self.name,
            records=self._pending,
            bytes=self._disk_bytes,
            capacity=self.capacity,
            fill=round(self.fill, 4),
            segments=self._segments,
            appended=self._appended,
            replayed=self._replayed,
            acknowledged=self._acknowledged,
            rejected=self._rejected,
            recovered=self._files.recovered,
            cut_bytes=self._cut_bytes,
            high_water=self._watch.high,
        )

    async def close(self) -> None:
        """Finish the appends under way, then close the files (and let go of the directory).

        Closing twice, or a spool never opened, is fine."""
        if not self._open:
            return
        self._open = False
        if self._committer is not None:
            await asyncio.shield(self._committer)
        async with self._io:
            await _in_thread(self.name, "close", self._files.close)

    def _need_open(self) -> None:
        if not self._open:
            raise SpoolError(f"spool {self.name} is not open")

    def _refresh(self) -> None:
        """Copy the figures of the files, under the lock, for readers without it."""
        files = self._files
        self._disk_bytes = files.disk_bytes
        self._pending = files.pending
        self._segments = len(files.segments)
        self._cut_bytes = files.cut_bytes
        self._check_fill()

    def _check_fill(self) -> None:
        if not self._watch.update(self.fill):
            return
        if self._alerts.qsize() >= _ALERTS_KEPT:
            self._alerts.get_nowait()
        self._alerts.put_nowait(
            FillAlert(
                self.name,
                self._watch.high,
                self.fill,
                self._pending,
                self._disk_bytes,
                self.capacity,
            )
        )


async def _in_thread(name: str, what: str, call: Callable[..., T], *args: object) -> T:
    """Run a blocking file operation in a worker thread; an OSError becomes a SpoolError."""
    try:
        return await asyncio.to_thread(call, *args)
    except OSError as exc:
        raise SpoolError(f"spool {name}: {what} failed: {exc}") from exc
