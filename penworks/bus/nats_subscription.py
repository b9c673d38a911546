"""NatsSubscription: a bus subscription fed by JetStream pull consumers.

A subscription gets one consumer per stream its pattern reaches (several when one stream
needs more than one filter, since a consumer filters on one subject), all feeding one local
queue. Each consumer is read by a _Puller that keeps pull requests open at the server for
about as many messages as the queue has room for: messages arrive as soon as they are stored,
and a full BLOCK queue stops pulling, so the backlog waits in the stream, not in memory.

Live subscriptions use ephemeral consumers without acks, recreated from the last stream
sequence seen after a reconnect, so a connection lost mid-delivery loses nothing. Durable ones
use a shared durable consumer with explicit acks: ack() acknowledges what was taken, and what
is never acknowledged comes again after ack_wait, here or to another process of that name.
The server writes a consumer's state behind its acks, so one killed and restarted may send
again what was done just before; a subscription remembers what it holds and what it lately
acknowledged, sends those acks again after a reconnect and does not hand such messages out
twice (a process that restarted too sees them again: delivery is at least once).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import re
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as InboxSubscription
from nats.js import api

from penworks.bus.base import Message, Overflow, SubscriptionStats
from penworks.bus.codec import CodecError, decode
from penworks.core import BusError

if TYPE_CHECKING:
    from penworks.bus.nats import NatsBus

log = logging.getLogger(__name__)

ACK = b"+ACK"
NAK = b"-NAK"
TERM = b"+TERM"

_GRACE_S = 2.0  # beyond a pull request's expiry before its answer counts as lost
_FIRST_RETRY_S = 0.2
_LAST_RETRY_S = 5.0
_LIVE_IDLE_S = 60.0  # an abandoned live consumer is removed by the server after this
_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class _Ticket:
    """How to acknowledge one durable message, and who keeps track of it."""

    reply: str
    seq: int
    puller: _Puller


_Item = tuple[str, Message, _Ticket | None]

NetworkErrors = (nats.errors.Error, OSError, TimeoutError)


def consumer_name(name: str) -> str:
    """A subscription name as a JetStream consumer name (no dots, wildcards or spaces)."""
    cleaned = _NAME.sub("_", name).strip("_")
    if not cleaned:
        raise ValueError(f"subscription name {name!r} has nothing usable as a consumer name")
    return cleaned[:64]


def intersect(a: str, b: str) -> str | None:
    """The subjects both patterns match, as one pattern, or None when they share none."""
    x, y = a.split("."), b.split(".")
    out: list[str] = []
    for i in range(max(len(x), len(y))):
        if i >= len(x) or i >= len(y):
            return None
        if x[i] == ">":
            return ".".join(out + y[i:])
        if y[i] == ">":
            return ".".join(out + x[i:])
        if x[i] == "*":
            out.append(y[i])
        elif y[i] == "*" or x[i] == y[i]:
            out.append(x[i])
        else:
            return None
    return ".".join(out)


@dataclass(frozen=True, slots=True)
class ConsumerTarget:
    """One consumer a subscription needs: its stream, filter and name suffix."""

    stream: str
    filter_subject: str | None  # None: everything in the stream
    suffix: str = ""


def plan_consumers(
    pattern: str, streams: Sequence[tuple[str, Sequence[str]]]
) -> list[ConsumerTarget]:
    """The consumers that deliver what `pattern` matches, given each stream's subjects."""
    targets: list[ConsumerTarget] = []
    for stream, subjects in streams:
        parts = [p for s in subjects if (p := intersect(pattern, s)) is not None]
        if not parts:
            continue
        if sorted(parts) == sorted(subjects):
            targets.append(ConsumerTarget(stream, None))
        elif len(parts) == 1:
            targets.append(ConsumerTarget(stream, parts[0]))
        else:
            for part in parts:
                digest = hashlib.sha1(part.encode()).hexdigest()[:8]
                targets.append(ConsumerTarget(stream, part, f"_{digest}"))
    return targets


def _reply_fields(reply: str) -> tuple[int, int, int, int]:
    """Deliveries, stream sequence, time stored (ns) and pending count from an ack subject."""
    t = reply.split(".")
    if len(t) == 9:  # $JS.ACK.<stream>.<consumer>.<delivered>.<seq>.<cseq>.<ns>.<pending>
        return int(t[4]), int(t[5]), int(t[7]), int(t[8])
    # the v2 form adds domain and account hash after ACK, and a token at the end
    return int(t[6]), int(t[7]), int(t[9]), int(t[10])


class NatsSubscription:
    """A bounded local queue fed by pull consumers; the Subscription protocol on NATS."""

    def __init__(
        self,
        bus: NatsBus,
        pattern: str,
        name: str,
        maxsize: int,
        overflow: Overflow,
        durable: bool,
        since: datetime,
        targets: list[ConsumerTarget],
    ) -> None:
        self.name = name
        self.pattern = pattern
        self.overflow = overflow
        self.durable = durable
        self.since = since
        self._bus = bus
        self._maxsize = maxsize
        self._items: deque[_Item] = deque()
        self._readable = asyncio.Event()
        self._space = asyncio.Event()
        self._taken: list[_Ticket] = []
        self._closed = False
        self.delivered = 0
        self.dropped = 0
        self.blocked = 0
        self.undecodable = 0
        self.redelivered = 0
        self.duplicates = 0  # deliveries of what this subscription holds or has done
        # each consumer asks for its share of the queue, so an idle one holds no one back
        share = max(1, min(bus.settings.pull_batch, maxsize // max(1, len(targets))))
        self._pullers = [_Puller(self, target, share) for target in targets]

    # Feeding (pullers)

    def start(self) -> None:
        for puller in self._pullers:
            puller.start()

    def restart(self) -> None:
        """The connection changed: pull requests in flight are gone, consumers may be."""
        for puller in self._pullers:
            puller.wake()

    def room(self) -> int:
        """How many more messages may be asked for without overfilling the queue."""
        if self.overflow is Overflow.DROP_OLDEST:
            return self._maxsize
        asked = sum(p.credit for p in self._pullers)
        return self._maxsize - len(self._items) - asked

    @property
    def full(self) -> bool:
        return len(self._items) >= self._maxsize

    async def put(self, subject: str, message: Message, ticket: _Ticket | None) -> None:
        """Queue a message; one still in flight when the subscription closed is queued too."""
        items = self._items
        if len(items) >= self._maxsize and not self._closed:
            if self.overflow is Overflow.DROP_OLDEST:
                *_, old = items.popleft()
                self.dropped += 1
                if old is not None:  # dropped on purpose: do not have it back
                    await self._settle([old], ACK, confirm=False)
            else:
                self.blocked += 1
                while len(items) >= self._maxsize and not self._closed:
                    self._space.clear()
                    await self._space.wait()
        items.append((subject, message, ticket))
        self.delivered += 1
        self._readable.set()

    # Reading

    def __aiter__(self) -> AsyncIterator[tuple[str, Message]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[tuple[str, Message]]:
        while taken := await self.batch(1):
            yield taken[0]

    async def batch(self, max_items: int) -> list[tuple[str, Message]]:
        items = self._items
        while not items:
            if self._closed:
                return []
            self._readable.clear()
            await self._readable.wait()
        out: list[tuple[str, Message]] = []
        for _ in range(min(max_items, len(items))):
            subject, message, ticket = items.popleft()
            out.append((subject, message))
            if ticket is not None:
                self._taken.append(ticket)
        self._space.set()
        for puller in self._pullers:
            puller.wake()
        return out

    async def ack(self) -> None:
        """Acknowledge every message taken so far (a no-op for a live subscription)."""
        taken, self._taken = self._taken, []
        if taken:
            await self._settle(taken, ACK)

    async def _settle(self, tickets: list[_Ticket], verb: bytes, confirm: bool = True) -> None:
        await self._bus.acknowledge([t.reply for t in tickets], verb, confirm)
        done = verb == ACK
        for ticket in tickets:
            ticket.puller.settled(ticket, done)

    def stats(self) -> SubscriptionStats:
        """depth counts what waits here and, as last heard, what waits in the stream."""
        behind = sum(p.behind for p in self._pullers)
        return SubscriptionStats(
            name=self.name,
            pattern=self.pattern,
            delivered=self.delivered,
            dropped=self.dropped,
            blocked=self.blocked,
            depth=len(self._items) + behind,
            maxsize=self._maxsize,
        )

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Stop pulling; what is queued can still be read (and acknowledged) before the end."""
        if self._closed:
            return
        self._closed = True
        self._bus.forget(self)
        await asyncio.gather(*(p.stop() for p in self._pullers))
        self._readable.set()
        self._space.set()

    async def hand_back(self) -> None:
        """Close, returning to the stream what this process can no longer acknowledge.

        The server would hand a message returned at once to this process's last pull
        request, left open at the server until it expires, and so lose it for ack_wait:
        returned messages come again once that request has expired.
        """
        await self.close()
        untaken = [ticket for *_, ticket in self._items if ticket is not None]
        if self.durable:
            self._items.clear()
        back, self._taken = self._taken + untaken, []
        if back:
            delay = self._bus.settings.pull_expires_s + _GRACE_S / 4
            nak = NAK + b" " + json.dumps({"delay": int(delay * 1e9)}).encode()
            await self._settle(back, nak)


class _Puller:
    """Keeps pull requests open on one consumer and puts what arrives into the queue."""

    def __init__(self, sub: NatsSubscription, target: ConsumerTarget, cap: int) -> None:
        self._sub = sub
        self._cap = cap  # most messages asked for at once
        self._bus = sub._bus
        self._target = target
        self._consumer = ""
        self._inbox = ""
        self._inbox_sub: InboxSubscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._epoch = -1
        self._stopped = False
        self._heard = 0.0  # loop time of the last message or request
        self._loop_time = time.monotonic  # the loop's clock, once pulling: asyncio's is it
        self._last_seq = 0  # the latest stream message seen, and when it was stored (ns)
        self._last_ns = 0
        self._held: set[int] = set()  # durable: queued or taken, not acknowledged yet
        # durable: acknowledged lately, and how. An OrderedDict, as the oldest goes first on
        # every settle: a dict's first key after many deletions from its front costs a walk
        # over every deleted slot.
        self._done: OrderedDict[int, str] = OrderedDict()
        self._done_limit = 2 * self._bus.settings.max_ack_pending
        self.credit = 0  # messages asked for and not yet come
        self.behind = 0  # stream messages still waiting for this consumer, as last heard

    def start(self) -> None:
        if self._task is None:
            name = f"nats-pull:{self._sub.name}:{self._target.stream}"
            self._task = asyncio.create_task(self._run(), name=name)

    def wake(self) -> None:
        self._wake.set()

    def settled(self, ticket: _Ticket, done: bool) -> None:
        self._held.discard(ticket.seq)
        if done:
            self._done[ticket.seq] = ticket.reply
            if len(self._done) > self._done_limit:
                self._done.popitem(last=False)

    async def stop(self) -> None:
        self._stopped = True  # a cancel may be swallowed inside the NATS client
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._inbox_sub is not None:
            try:
                await self._inbox_sub.unsubscribe()
            except NetworkErrors:
                pass
            self._inbox_sub = None
        if not self._sub.durable and self._consumer:
            await self._bus.delete_consumer(self._target.stream, self._consumer)

    async def _run(self) -> None:
        delay = _FIRST_RETRY_S
        while not self._stopped:
            await self._bus.wait_connected()
            try:
                await self._open()
                delay = _FIRST_RETRY_S
                await self._pull()
                continue
            except (*NetworkErrors, BusError) as exc:
                log.warning(
                    "subscription %r on %s: %s; retrying",
                    self._sub.name,
                    self._target.stream,
                    exc or type(exc).__name__,
                )
            except Exception:  # a reader must not lose its feed to a bug here: log, go on
                log.exception("subscription %r on %s failed", self._sub.name, self._target.stream)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, _LAST_RETRY_S)

    async def _open(self) -> None:
        self._epoch = self._bus.epoch
        self.credit = 0
        if self._inbox_sub is None:
            client = self._bus.client
            self._inbox = client.new_inbox()
            self._inbox_sub = await client.subscribe(self._inbox, cb=self._on_msg)
        if self._sub.durable:
            await self._open_durable()
        else:
            await self._open_live()

    async def _open_durable(self) -> None:
        target, settings = self._target, self._bus.settings
        name = consumer_name(self._sub.name) + target.suffix
        jsm = self._bus.jsm()
        try:
            info = await jsm.consumer_info(target.stream, name)
        except nats.js.errors.NotFoundError:
            config = api.ConsumerConfig(
                name=name,
                durable_name=name,
                description=f"penworks durable subscription {self._sub.name!r}",
                ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=settings.ack_wait_s,
                max_ack_pending=settings.max_ack_pending,
                filter_subject=target.filter_subject,
                num_replicas=settings.replicas,
            )
            await self._start_from(config)
            try:
                info = await jsm.add_consumer(target.stream, config)
            except nats.js.errors.APIError:  # another process created it meanwhile
                info = await jsm.consumer_info(target.stream, name)
        have = info.config.filter_subject or None
        if have != target.filter_subject:
            raise BusError(
                f"durable consumer {name!r} on stream {target.stream} filters {have!r}, "
                f"not {target.filter_subject!r}: delete it or give the subscription another name"
            )
        self._consumer = name
        self.behind = info.num_pending or 0
        floor = info.ack_floor.stream_seq if info.ack_floor else 0
        lost = [reply for seq, reply in self._done.items() if seq > floor]
        if lost:  # a restarted server may have lost the last acknowledgements: send them again
            await self._bus.acknowledge(lost, ACK)

    async def _open_live(self) -> None:
        target = self._target
        if self._consumer:  # recreated from where it got to: nothing lost in a reconnect
            await self._bus.delete_consumer(target.stream, self._consumer)
        base = _NAME.sub("_", self._sub.name).strip("_")[:40] or "live"
        name = f"{base}_{random.getrandbits(48):012x}"
        config = api.ConsumerConfig(
            name=name,
            description=f"penworks live subscription {self._sub.name!r}",
            ack_policy=api.AckPolicy.NONE,
            filter_subject=target.filter_subject,
            inactive_threshold=max(_LIVE_IDLE_S, 3 * self._bus.settings.pull_expires_s),
            mem_storage=True,
            num_replicas=1,
        )
        await self._start_from(config)
        await self._bus.jsm().add_consumer(target.stream, config)
        self._consumer = name

    async def _start_from(self, config: api.ConsumerConfig) -> None:
        """Where a (re)made consumer starts: after the last message seen, or else at the
        subscription's start; at the stream's beginning when the stream is younger than that
        message (a server that lost its store, or one keeping streams in memory, restarted)."""
        if not self._last_seq:
            config.deliver_policy = api.DeliverPolicy.BY_START_TIME
            config.opt_start_time = self._sub.since
            return
        info = await self._bus.jsm().stream_info(self._target.stream)
        seen = datetime.fromtimestamp(self._last_ns / 1e9, UTC)
        if info.created is not None and info.created > seen:
            log.warning("stream %s was made anew: reading it from the start", info.config.name)
            self._last_seq = self._last_ns = 0
            self._held.clear()
            self._done.clear()
            config.deliver_policy = api.DeliverPolicy.ALL
            return
        config.deliver_policy = api.DeliverPolicy.BY_START_SEQUENCE
        config.opt_start_seq = self._last_seq + 1

    async def _pull(self) -> None:
        """Keep about `room` messages asked for until the connection or consumer changes."""
        settings = self._bus.settings
        client = self._bus.client
        loop = asyncio.get_running_loop()
        self._loop_time = loop.time  # per message, asking the loop each time costs a syscall
        expires = settings.pull_expires_s
        next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self._target.stream}.{self._consumer}"
        cap = self._cap
        starved = False
        self._heard = loop.time()
        while self._bus.epoch == self._epoch and not self._stopped:
            self._wake.clear()
            want = min(cap - self.credit, self._sub.room()) if self.credit <= cap // 2 else 0
            if want > 0:
                request = {"batch": want, "expires": int(expires * 1e9)}
                await client.publish(next_subject, json.dumps(request).encode(), self._inbox)
                self.credit += want
                self._heard = loop.time()
                starved = False
            elif self.credit == 0 and not starved and self._sub.full:
                starved = True  # the backlog waits in the stream, not in memory
                self._sub.blocked += 1
            if self.credit == 0:
                await self._wake.wait()
                continue
            silent = loop.time() - self._heard
            try:
                async with asyncio.timeout(max(0.0, expires + _GRACE_S - silent)):
                    await self._wake.wait()
            except TimeoutError:
                if loop.time() - self._heard >= expires + _GRACE_S:
                    return  # the request's answer is lost (or the consumer is): reopen

    async def _on_msg(self, msg: Msg) -> None:
        self._heard = self._loop_time()
        if not msg.reply:
            self._on_status(msg)
            return
        self.credit = max(0, self.credit - 1)
        if self.credit <= self._cap // 2:
            self._wake.set()
        try:
            deliveries, seq, stored_ns, self.behind = _reply_fields(msg.reply)
        except (ValueError, IndexError):
            deliveries, seq, stored_ns = 1, 0, 0
        if deliveries > 1:
            self._sub.redelivered += 1
        if not self._sub.durable and seq and seq <= self._last_seq:
            return  # already had it from a consumer this one replaced
        if seq > self._last_seq:
            self._last_seq, self._last_ns = seq, stored_ns
        try:
            message = decode(msg.data)
        except CodecError as exc:
            self._sub.undecodable += 1
            self._bus.undecodable_seen(msg.subject, exc)
            if self._sub.durable:  # never to come again: it cannot get better
                await self._bus.acknowledge([msg.reply], TERM, confirm=False)
            return
        ticket = None
        if self._sub.durable:
            if seq in self._held or seq in self._done:
                await self._again(msg.reply, seq)
                return
            self._held.add(seq)
            ticket = _Ticket(msg.reply, seq, self)
        await self._sub.put(self._bus.unwire(msg.subject), message, ticket)

    async def _again(self, reply: str, seq: int) -> None:
        """A message delivered again that this subscription holds or has done already: a
        server restarted from consumer state older than its last acknowledgements (it is
        written to disk behind them), or ack_wait ran out while the work went on."""
        self._sub.duplicates += 1
        if seq in self._done:
            await self._bus.acknowledge([reply], ACK, confirm=False)

    def _on_status(self, msg: Msg) -> None:
        headers: dict[str, Any] = msg.headers or {}
        status = headers.get("Status")
        if status == "100":  # idle heartbeat
            return
        left = headers.get("Nats-Pending-Messages")
        if status in ("404", "408", "409") and left is not None:
            self.credit = max(0, self.credit - int(left))
        else:
            self.credit = 0
        if status == "409" and "Deleted" in str(headers.get("Description", "")):
            self._epoch = -1  # the consumer is gone: reopen it
        self._wake.set()
