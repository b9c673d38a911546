"""MemoryBus: the in-process bus of the embedded configuration.

Messages are passed as objects (no encoding). Each subscription has a bounded queue; when
it is full the publisher either waits (BLOCK) or the oldest message is dropped (DROP_OLDEST),
and either is counted, so a slow subscriber is visible in ``stats()``, never silent loss.
Durable subscriptions of one name share their messages in turn, as a queue group does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from penworks.bus.base import Message, Overflow, SubscriptionStats
from penworks.bus.subjects import matches, validate_pattern
from penworks.core import BusError

_CLOSED = object()  # end marker put behind the last queued message
_ROUTE_CACHE_LIMIT = 200_000


class MemorySubscription:
    """A bounded subscription queue.

    The asyncio queue itself is unbounded and the bound is enforced here, so that the end
    marker of close() always fits behind the messages still queued: closing never drops them.
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
        self._queue: asyncio.Queue[tuple[str, Message] | object] = asyncio.Queue()
        self._maxsize = maxsize
        self._space = asyncio.Event()
        self._closed = False
        self.delivered = 0
        self.dropped = 0
        self.blocked = 0

    async def _deliver(self, item: tuple[str, Message]) -> None:
        if self._queue.qsize() >= self._maxsize and not self._closed:
            if self.overflow is Overflow.DROP_OLDEST:
                self._queue.get_nowait()
                self.dropped += 1
            else:
                self.blocked += 1
                while self._queue.qsize() >= self._maxsize and not self._closed:
                    self._space.clear()
                    await self._space.wait()
        if self._closed:
            return
        self._queue.put_nowait(item)
        self.delivered += 1

    async def _get(self) -> tuple[str, Message] | object:
        item = await self._queue.get()
        self._space.set()
        return item

    async def __aiter__(self) -> AsyncIterator[tuple[str, Message]]:
        while True:
            item = await self._get()
            if item is _CLOSED:
                self._queue.put_nowait(_CLOSED)  # later readers end too
                return
            yield item  # type: ignore[misc]

    async def batch(self, max_items: int) -> list[tuple[str, Message]]:
        first = await self._get()
        if first is _CLOSED:
            self._queue.put_nowait(_CLOSED)
            return []
        items: list[tuple[str, Message]] = [first]  # type: ignore[list-item]
        queue = self._queue
        while len(items) < max_items and not queue.empty():
            item = queue.get_nowait()
            if item is _CLOSED:
                queue.put_nowait(_CLOSED)
                break
            items.append(item)  # type: ignore[arg-type]
        self._space.set()
        return items

    async def ack(self) -> None:
        """Nothing to do: an in-process message is done with once it is taken."""

    def stats(self) -> SubscriptionStats:
        depth = self._queue.qsize() - (1 if self._closed else 0)
        return SubscriptionStats(
            name=self.name,
            pattern=self.pattern,
            delivered=self.delivered,
            dropped=self.dropped,
            blocked=self.blocked,
            depth=max(0, depth),
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
        self._queue.put_nowait(_CLOSED)
        self._space.set()  # release publishers waiting for room


class _Shared:
    """The durable subscriptions of one name: each message goes to the next of them in turn."""

    def __init__(self, members: list[MemorySubscription]) -> None:
        self._members = members
        self._turn = 0

    async def _deliver(self, item: tuple[str, Message]) -> None:
        self._turn = (self._turn + 1) % len(self._members)
        await self._members[self._turn]._deliver(item)


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
        item = (subject, message)
        for sub in targets:
            await sub._deliver(item)

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
