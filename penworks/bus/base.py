"""The Bus protocol every room publishes and subscribes through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from penworks.core import Command, DeadLetter, Observation

Message = Observation | DeadLetter | Command | dict[str, Any]
"""What travels on the bus; dicts are app and system events."""


class Overflow(StrEnum):
    """What a full subscription queue does to its publisher."""

    BLOCK = "block"  # the publisher waits: nothing lost, backpressure (history, rules)
    DROP_OLDEST = "drop_oldest"  # the oldest message is dropped and counted (live views)


@dataclass(frozen=True, slots=True)
class SubscriptionStats:
    name: str
    pattern: str
    delivered: int
    dropped: int
    blocked: int  # how often a publisher had to wait for this subscriber
    depth: int
    maxsize: int


class Subscription(Protocol):
    """An open subscription: iterate it for messages, or take them in batches."""

    name: str
    pattern: str

    def __aiter__(self) -> AsyncIterator[tuple[str, Message]]: ...

    async def batch(self, max_items: int) -> list[tuple[str, Message]]:
        """Wait for at least one message, then take up to max_items that are ready."""
        ...

    async def ack(self) -> None:
        """Acknowledge every message taken so far: the work on them is done.

        On a persistent bus a durable subscription's messages taken but never acknowledged
        are delivered again (to this process or another of the same name); elsewhere a no-op.
        """
        ...

    def stats(self) -> SubscriptionStats: ...

    async def close(self) -> None: ...


class Bus(Protocol):
    async def publish(self, subject: str, message: Message) -> None: ...

    def subscribe(
        self,
        pattern: str,
        *,
        name: str,
        maxsize: int = 10_000,
        overflow: Overflow = Overflow.BLOCK,
        durable: bool = False,
    ) -> Subscription:
        """Messages on subjects matching pattern, from now on.

        A durable subscription is work that must not be lost: every subscription of the same
        name, in this process or another, shares its messages (each goes to one of them), and
        on a persistent bus what was published while none was running waits for them.
        """
        ...

    def stats(self) -> list[SubscriptionStats]: ...

    async def close(self) -> None: ...


@runtime_checkable
class KeepingBus(Protocol):
    """A bus whose publish may return before the message is kept (on the bus, or in a spool
    on disk): `flush` returns once everything published so far is. An input that must not
    acknowledge its source before then (MQTT QoS 1) waits on it."""

    async def flush(self) -> None: ...
