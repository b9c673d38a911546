"""Telling long-lived connections that a session ended: a WebSocket checks each revocation
against its principal and closes when it is one of the sessions that ended."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from penworks.auth.types import Principal


@dataclass(frozen=True, slots=True)
class Revocation:
    """Sessions that ended: some of a user's, or every one of them (`whole_user`: the user
    was disabled, deleted, signed out everywhere, or its role or tenant changed)."""

    user_id: int
    sessions: frozenset[str] = frozenset()  # session ids and API token ids
    whole_user: bool = False
    reason: str = ""

    def ends(self, principal: Principal) -> bool:
        """Whether a connection acting as `principal` must close."""
        if principal.user_id != self.user_id:
            return False
        return self.whole_user or principal.session in self.sessions


class RevocationFeed:
    """Every listener gets every revocation. Queues are unbounded: revocations are rare, and
    dropping one would leave a revoked session open."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Revocation]] = set()

    def listen(self) -> asyncio.Queue[Revocation]:
        queue: asyncio.Queue[Revocation] = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[Revocation]) -> None:
        self._queues.discard(queue)

    def publish(self, revocation: Revocation) -> None:
        for queue in self._queues:
            queue.put_nowait(revocation)

    @property
    def listeners(self) -> int:
        return len(self._queues)
