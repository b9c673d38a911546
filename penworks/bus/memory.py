"""MemoryBus: the in-process bus of the embedded configuration.

Messages are passed as objects (no encoding). Each subscription has a bounded queue; when
it is full the publisher either waits (BLOCK) or the oldest message is dropped (DROP_OLDEST),
and either is counted, so a slow subscriber is visible in ``stats()``, never silent loss.
Durable subscriptions of one name share their messages in turn, as a queue group does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from penworks.bus.base import Message, Overflow, SubscriptionStats
from penworks.bus.subjects import matches, validate_pattern
from penworks.core import BusError

_ROUTE_CACHE_LIMIT = 200_000


class MemorySubscription:
    """A bounded subscription queue.

    Messages wait in a deque, their subjects in another beside it: a (subject, message) pair
    is made only when a reader takes it, so nothing besides the message itself stays on the
    heap while it waits (the garbage collector traverses every container that lives long
    enough, and a busy history queue holds 100,000 of them). `close()` lets readers take
    what is queued before they end, so closing never drops anything. A message that finds
    room is queued without a coroutine (`_offer`): the publisher awaits only when it must
    wait for room.
    """

    def __init__(
        self,
        bus: MemoryBus,
        pattern: str,
        name: str,
        maxsize: int,
        overflow: Overflow,
        durable: bool = False,
    ) -> None:
        self.name = name
        self.pattern = pattern
        self.overflow = overflow
        self.durable = durable
        self._bus = bus
        self._subjects: deque[str] = deque()
        self._messages: deque[Message] = deque()  # in step with _subjects
        self._maxsize = maxsize
        self._ready = asyncio.Event()  # set while something is queued or the end has come
        self._space = asyncio.Event()
        self._closed = False
        self.delivered = 0
        self.dropped = 0
        self.blocked = 0

    def _offer(self, subject: str, message: Message) -> bool:
        """Queue the message if there is room or the oldest may go; False when the publisher
        must wait."""
        messages = self._messages
        if self._closed:
            return True
        if len(messages) >= self._maxsize:
            if self.overflow is not Overflow.DROP_OLDEST:
                return False
            self._subjects.popleft()
            messages.popleft()
            self.dropped += 1
        elif not messages:
            self._ready.set()  # readers clear it only while nothing is queued
        self._subjects.append(subject)
        messages.append(message)
        self.delivered += 1
        return True

    async def _deliver(self, subject: str, message: Message) -> None:
        if self._offer(subject, message):
            return
        self.blocked += 1
        while True:  # other publishers may be waiting for the same room
            self._space.clear()
            await self._space.wait()
            if self._offer(subject, message):
                return

    async def _wait(self) -> bool:
        """Wait until something is queued; False once closed and drained."""
        while not self._messages:
            if self._closed:
                return False
            self._ready.clear()
            await self._ready.wait()
        return True

    async def __aiter__(self) -> AsyncIterator[tuple[str, Message]]:
        while await self._wait():
            item = self._subjects.popleft(), self._messages.popleft()
            self._space.set()
            yield item

    async def batch(self, max_items: int) -> list[tuple[str, Message]]:
        if not await self._wait():
            return []
        subjects, messages = self._subjects, self._messages
        if len(messages) <= max_items:
            taken = list(zip(subjects, messages, strict=True))
            subjects.clear()
            messages.clear()
        else:
            taken = [(subjects.popleft(), messages.popleft()) for _ in range(max_items)]
        self._space.set()
        return taken

    async def ack(self) -> None:
        """Nothing to do: an in-process message is done with once it is taken."""

    def stats(self) -> SubscriptionStats:
        return SubscriptionStats(
            name=self.name,
            pattern=self.pattern,
            delivered=self.delivered,
            dropped=self.dropped,
            blocked=self.blocked,
            depth=len(self._messages),
            maxsize=self._maxsize,
        )

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Stop receiving; messages already queued are still read before the end."""
        if self._closed:
            return
        self._closed = True
        self._bus._remove(self)
        self._ready.set()  # readers drain what is queued, then end
        self._space.set()  # release publishers waiting for room


class _Shared:
    """The durable subscriptions of one name: each message goes to the next of them in turn."""

    def __init__(self, members: list[MemorySubscription]) -> None:
        self._members = members
        self._turn = 0

    def _offer(self, subject: str, message: Message) -> bool:
        self._turn = (self._turn + 1) % len(self._members)
        return self._members[self._turn]._offer(subject, message)

    async def _deliver(self, subject: str, message: Message) -> None:
        self._turn = (self._turn + 1) % len(self._members)
        await self._members[self._turn]._deliver(subject, message)


_Target = MemorySubscription | _Shared


class MemoryBus:
    """In-process Bus with NATS-style subjects."""

    def __init__(self) -> None:
        self._subs: list[MemorySubscription] = []
        self._routes: dict[str, tuple[_Target, ...]] = {}
        self._groups: dict[tuple[object, ...], _Shared] = {}
        self._closed = False
        self.published = 0

    async def publish(self, subject: str, message: Message) -> None:
        if self._closed:
            raise BusError("publish on a closed bus")
        targets = self._routes.get(subject)
        if targets is None:
            targets = self._route(subject)
        self.published += 1
        for sub in targets:
            if not sub._offer(subject, message):
                await sub._deliver(subject, message)

    def _route(self, subject: str) -> tuple[_Target, ...]:
        if "*" in subject or ">" in subject:
            raise BusError(f"cannot publish to a wildcard subject {subject!r}")
        # In subscription order, a durable name's group where its first member stands.
        matching = [sub for sub in self._subs if matches(sub.pattern, subject)]
        shared: dict[str, list[MemorySubscription]] = {}
        for sub in matching:
            if sub.durable:
                shared.setdefault(sub.name, []).append(sub)
        targets: list[_Target] = []
        for sub in matching:
            if not sub.durable:
                targets.append(sub)
            elif shared[sub.name][0] is sub:
                members = shared[sub.name]
                targets.append(sub if len(members) == 1 else self._group(sub.name, members))
        if len(self._routes) >= _ROUTE_CACHE_LIMIT:
            self._routes.clear()
        self._routes[subject] = route = tuple(targets)
        return route

    def _group(self, name: str, members: list[MemorySubscription]) -> _Shared:
        """One turn-taker per set of members, so turns go round across subjects."""
        key = (name, *(id(m) for m in members))
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Shared(members)
        return group

    def subscribe(
        self,
        pattern: str,
        *,
        name: str,
        maxsize: int = 10_000,
        overflow: Overflow = Overflow.BLOCK,
        durable: bool = False,
    ) -> MemorySubscription:
        validate_pattern(pattern)
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        sub = MemorySubscription(self, pattern, name, maxsize, overflow, durable)
        self._subs.append(sub)
        self._routes.clear()
        self._groups.clear()
        return sub

    def _remove(self, sub: MemorySubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._routes.clear()
            self._groups.clear()

    def stats(self) -> list[SubscriptionStats]:
        return [s.stats() for s in self._subs]

    async def close(self) -> None:
        self._closed = True
        for sub in list(self._subs):
            await sub.close()
