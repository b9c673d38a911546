"""SpoolingPublisher: a gateway's bus that keeps publishing while the real one is away.

While the bus takes messages, publish() goes straight to it. When a publish fails (BusError,
or no answer within `publish_timeout_s`), that message and every one after it go to the
spool instead, so their order is kept, and run() forwards the spool to the bus, oldest first,
probing with jittered backoff until it takes them again; a spool record is acknowledged only
once the bus accepted its message. When the spool is empty, publishing goes direct again.

Delivery is at least once: a message whose publish timed out may have reached the bus and
is sent again from the spool, and so is one forwarded but not yet acknowledged when the
process stopped. publish() returns once the message is on the bus or kept in the spool; it
raises BusError only when it is neither (the spool full or failing), and counts that.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from penworks.bus import Bus, Message, Overflow, Subscription, SubscriptionStats
from penworks.bus.subjects import validate_pattern
from penworks.core import BusError
from penworks.core.backoff import Backoff, pause
from penworks.core.deadlines import Deadlines
from penworks.pipeline.spool import Spool, SpoolError, SpoolRecord, SpoolStats
from penworks.pipeline.spool_codec import Decoder, Encoder, decode_message, encode_message

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PublisherStats:
    spooling: bool  # messages go to the spool now, not to the bus
    direct: int  # published straight to the bus
    spooled: int  # kept in the spool
    forwarded: int  # taken from the spool to the bus
    rejected: int  # refused: the bus away and the spool unable to keep them
    undecodable: int  # spool records that were no message, skipped
    failures: int  # failed publishes to the bus
    spool: SpoolStats


class SpoolingPublisher:
    """A Bus that spools what the wrapped bus cannot take; subscribing goes to the bus.

    Call run() in a task for the forwarding, stop() to end it; close() closes the wrapped
    bus too. The spool is the caller's to open (before the first publish) and close.
    """

    def __init__(
        self,
        bus: Bus,
        spool: Spool,
        *,
        encode: Encoder = encode_message,
        decode: Decoder = decode_message,
        publish_timeout_s: float | None = 5.0,
        forward_batch: int = 500,
        window: int = 1,
        retry_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self._bus = bus
        self._spool = spool
        self._encode = encode
        self._decode = decode
        self._timeout = publish_timeout_s
        self._batch = forward_batch
        self._backoff = Backoff(*retry_s)
        self._spooling = False
        self._appending = 0  # spool appends under way: the spool is not empty yet
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        if window < 1:
            raise ValueError("window must be at least 1")
        self._window = window
        self._room = asyncio.Semaphore(window)
        self._flying: set[asyncio.Task[None]] = set()
        # A windowed publish runs on a task of its own, timed by one watch for all of them
        # (a timer each cost as much as the publish's own bookkeeping).
        # Those inside the bus's publish, by number: the watch holds numbers, not tasks.
        self._publishing: dict[int, asyncio.Task[None]] = {}
        self._publishes = 0
        self._late: set[asyncio.Task[None]] = set()  # cancelled by the watch, not by anyone
        self._deadlines = (
            Deadlines(publish_timeout_s, self._published, self._cancel_late)
            if publish_timeout_s is not None and window > 1
            else None
        )
        self._direct_count = 0
        self._spooled = 0
        self._forwarded = 0
        self._rejected = 0
        self._undecodable = 0
        self._failures = 0

    # --- the Bus side --------------------------------------------------------------------

    async def publish(self, subject: str, message: Message) -> None:
        """Hand the message on: to the bus (up to `window` publishes wait for the bus's
        acknowledgement at once, so a bus across the network is not paced by its round
        trip), or to the spool while the bus is away. A message the bus then refuses goes to
        the spool too, so none is lost; what neither takes is counted as rejected.

        With `window` 1 messages go in order and a refusal by both reaches the caller; with
        more, each point's messages may overtake each other around an outage (the store keeps
        each (point, ts) once, and a point's latest value only moves forward)."""
        _check_subject(subject)
        if not self._spooling and self._spool.pending:
            self._spooling = True  # what an earlier run left goes out before anything new
        if self._spooling:
            await self._keep(subject, message)
            return
        if self._window == 1:  # in order, and a refusal by both reaches the caller
            await self._direct(subject, message, refusal_raises=True)
            return
        await self._room.acquire()
        task = asyncio.create_task(self._direct(subject, message, watched=True))
        self._flying.add(task)
        task.add_done_callback(self._landed)

    def _landed(self, task: asyncio.Task[None]) -> None:
        self._flying.discard(task)
        self._room.release()

    async def _direct(
        self, subject: str, message: Message, *, refusal_raises: bool = False, watched: bool = False
    ) -> None:
        try:
            if watched and self._deadlines is not None:
                await self._send_watched(subject, message, self._deadlines)
            else:
                await self._send(subject, message)
        except (BusError, TimeoutError) as exc:
            self._failures += 1
            if not self._spooling:
                log.warning("bus publish failed (%s); spooling until it is back", exc)
            self._spooling = True
        else:
            self._direct_count += 1
            return
        try:
            await self._keep(subject, message)
        except BusError:
            if refusal_raises:
                raise
            log.exception("a message on %s is lost: neither the bus nor the spool took it", subject)

    async def _send_watched(
        self, subject: str, message: Message, deadlines: Deadlines[int]
    ) -> None:
        """_send on a task of the publisher's own, which the deadlines cancel if it is late:
        only while it is inside the bus's publish, so a late one still reaches the spool."""
        task = asyncio.current_task()
        assert task is not None
        self._publishes += 1
        number = self._publishes
        self._publishing[number] = task
        deadlines.add(number)
        try:
            await self._bus.publish(subject, message)
        except asyncio.CancelledError:
            if task not in self._late:
                raise
            self._late.discard(task)
            task.uncancel()
            raise TimeoutError from None
        finally:
            del self._publishing[number]

    def _published(self, number: int) -> bool:
        return number not in self._publishing

    def _cancel_late(self, number: int) -> None:
        task = self._publishing[number]
        self._late.add(task)
        task.cancel()

    async def flush(self) -> None:
        """Wait until every publish under way has reached the bus or the spool."""
        while self._flying:
            await asyncio.wait(set(self._flying))

    def subscribe(
        self,
        pattern: str,
        *,
        name: str,
        maxsize: int = 10_000,
        overflow: Overflow = Overflow.BLOCK,
        durable: bool = False,
    ) -> Subscription:
        return self._bus.subscribe(
            pattern, name=name, maxsize=maxsize, overflow=overflow, durable=durable
        )

    def stats(self) -> list[SubscriptionStats]:
        return self._bus.stats()

    async def close(self) -> None:
        await self.stop()
        await self._bus.close()

    # --- forwarding ----------------------------------------------------------------------

    async def run(self) -> None:
        """Forward the spool to the bus whenever it holds anything, until stop()."""
        while not self._stop.is_set():
            self._wake.clear()
            try:
                records = await self._spool.read(self._batch)
                if records:
                    await self._forward(records)
                    continue
            except SpoolError:
                log.exception("reading spool %s failed", self._spool.name)
                await pause(self._backoff.next_delay(), self._stop)
                continue
            if self._appending == 0 and self._spool.pending == 0 and self._spooling:
                self._spooling = False
                log.info("spool %s forwarded; publishing direct again", self._spool.name)
            await self._wake.wait()

    async def stop(self) -> None:
        """End run() after the batch under way; what is left stays in the spool."""
        await self.flush()
        if self._deadlines is not None:
            await self._deadlines.close()
        self._stop.set()
        self._wake.set()

    async def _forward(self, records: list[SpoolRecord]) -> None:
        """Send a batch with its publishes under way together; acknowledge the records up to
        the first that failed (those after it that did arrive come again: at least once)."""
        results = await asyncio.gather(
            *(self._forward_one(r) for r in records), return_exceptions=True
        )
        for sent, result in enumerate(results):
            if isinstance(result, BaseException):
                if not isinstance(result, BusError | TimeoutError):
                    raise result
                self._failures += 1
                log.debug("forwarding spool %s failed: %s", self._spool.name, result)
                if sent:
                    await self._spool.ack(records[sent - 1].seq)
                await self._spool.rewind()
                await pause(self._backoff.next_delay(), self._stop)
                return
        await self._spool.ack(records[-1].seq)
        self._backoff.reset()

    async def _forward_one(self, record: SpoolRecord) -> None:
        try:
            subject, message = self._decode(record.data)
        except ValueError as exc:
            self._undecodable += 1
            log.error(
                "spool %s record %d is no message, skipped: %s", self._spool.name, record.seq, exc
            )
            return
        await self._send(subject, message)
        self._forwarded += 1

    async def _send(self, subject: str, message: Message) -> None:
        async with asyncio.timeout(self._timeout):
            await self._bus.publish(subject, message)

    async def _keep(self, subject: str, message: Message) -> None:
        try:
            data = self._encode(subject, message)
        except ValueError as exc:
            self._rejected += 1
            raise BusError(f"the bus is away and {exc}") from exc
        self._appending += 1
        try:
            await self._spool.append([data])
        except SpoolError as exc:
            self._rejected += 1
            raise BusError(f"the bus is away and the spool cannot keep the message: {exc}") from exc
        finally:
            self._appending -= 1
            self._wake.set()
        self._spooled += 1

    def publisher_stats(self) -> PublisherStats:
        return PublisherStats(
            spooling=self._spooling,
            direct=self._direct_count,
            spooled=self._spooled,
            forwarded=self._forwarded,
            rejected=self._rejected,
            undecodable=self._undecodable,
            failures=self._failures,
            spool=self._spool.stats(),
        )


def _check_subject(subject: str) -> None:
    """Refuse what no bus takes before it can reach the spool and block the ones behind it."""
    try:
        validate_pattern(subject)
    except ValueError as exc:
        raise BusError(str(exc)) from exc
    if "*" in subject or ">" in subject:
        raise BusError(f"cannot publish to a wildcard subject {subject!r}")
