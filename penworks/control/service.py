"""ControlService: the one way out to equipment.

`submit` checks a command (in this order: expiry, idempotency, the point, permission, the
value, interlock holds, rate limits, a connector), stores it in the point's priority array,
writes the effective value when it changed, waits for the read-back and audits the outcome.
`run` follows observations for read-backs and interlock triggers. Commands to one point are
serialised; different points go in parallel.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import datetime
from typing import Any

from penworks.bus import Bus, Overflow
from penworks.bus.subjects import OBSERVATIONS
from penworks.control.audit import AuditLog
from penworks.control.binding import NO_RULES, bind
from penworks.control.checks import CheckContext, check
from penworks.control.config import ControlConfig
from penworks.control.idempotency import IdempotencyMemory
from penworks.control.interlocks import InterlockBoard
from penworks.control.ports import WritePort
from penworks.control.priority import PriorityArray
from penworks.control.ratelimit import RateLimiter
from penworks.control.types import (
    STORED,
    Actor,
    CommandOutcome,
    CommandRequest,
    CommandStatus,
    InterlockStatus,
    PrioritySnapshot,
    Refusal,
)
from penworks.control.writes import Writer, new_command_id
from penworks.core import Clock, Observation, PenworksError, Point, UnknownPointError
from penworks.model import SiteModel
from penworks.store.journal import Journal

log = logging.getLogger(__name__)

ConnectorFor = Callable[[str], WritePort | None]


class ControlService:
    """Priority arrays, policies, interlocks, read-back and audit for every writable point."""

    def __init__(
        self,
        model: SiteModel,
        bus: Bus,
        clock: Clock,
        journal: Journal,
        config: ControlConfig,
        connector_for: ConnectorFor,
        *,
        queue_size: int = 10_000,
    ) -> None:
        bound = bind(config, model)  # ConfigError naming the policy or interlock
        self._model = model
        self._bus = bus
        self._clock = clock
        self._config = config
        self._connector_for = connector_for
        self._queue_size = queue_size
        self._rules = bound.rules
        self._arrays: dict[str, PriorityArray] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._rates = RateLimiter()
        self._writer = Writer(model, clock, config, bound.rules, self._rates)
        self._memory = IdempotencyMemory(config.idempotency_memory)
        self._audit = AuditLog(journal, bus)
        self._interlocks = InterlockBoard(bound.instances, clock)
        self._orphans: list[tuple[str, int, Actor]] = []
        self._group: asyncio.TaskGroup | None = None
        self._workers: set[asyncio.Task[None]] = set()
        self._counts: Counter[str] = Counter()
        self._observations = 0

    # -- commands ----------------------------------------------------------------------

    async def submit(self, request: CommandRequest) -> CommandOutcome:
        """Check, store, write and confirm one command; the outcome is audited."""
        self._counts["submitted"] += 1
        now = self._clock.now()
        if _expired(request, now):
            return await self._finish(self._refused(request, Refusal.EXPIRED, _late(request), now))
        while (earlier := self._memory.claim(request, now)) is not None:
            first = await asyncio.shield(earlier)
            if first is not None:
                return await self._duplicate(first, self._clock.now())
            now = self._clock.now()  # the first try ended without an outcome: take the key
        try:
            outcome = await self._decide(request)
        except BaseException:
            self._memory.release(request)
            raise
        self._memory.settle(outcome)
        return await self._finish(outcome)

    async def _duplicate(self, first: CommandOutcome, now: datetime) -> CommandOutcome:
        outcome = replace(first, duplicate=True)
        self._counts["duplicates"] += 1
        await self._audit.record(outcome, at=now)
        return outcome

    async def _decide(self, request: CommandRequest) -> CommandOutcome:
        now = self._clock.now()
        try:
            point = self._model.point(request.point)
        except UnknownPointError:
            return self._refused(request, Refusal.UNKNOWN_POINT, "no such point", now)
        if not point.writable:
            return self._refused(request, Refusal.NOT_WRITABLE, "the point is read-only", now)
        async with self._lock(point.id):
            now = self._clock.now()
            if _expired(request, now):  # it waited behind another command to the point
                return self._refused(request, Refusal.EXPIRED, _late(request), now)
            array = self._array(point)
            verdict = check(self._checks(point), request, point, array, now)
            if verdict.refusal is not None or verdict.port is None:
                refusal = verdict.refusal or Refusal.NO_CONNECTOR
                return self._refused(request, refusal, verdict.detail, now)
            step = await self._writer.store_and_write(
                request, point, array, verdict.value, verdict.port
            )
        if isinstance(step, CommandOutcome):
            return step
        return await self._writer.confirm(step)

    def _checks(self, point: Point) -> CheckContext:
        return CheckContext(
            config=self._config,
            rules=self._rules.get(point.id, NO_RULES),
            interlocks=self._interlocks,
            rates=self._rates,
            connector_for=self._connector_for,
        )

    # -- outcomes ----------------------------------------------------------------------

    def _refused(
        self, request: CommandRequest, refusal: Refusal, detail: str, now: datetime
    ) -> CommandOutcome:
        array = self._arrays.get(request.point)
        return CommandOutcome(
            id=new_command_id(),
            request=request,
            status=CommandStatus.REFUSED,
            detail=detail,
            refusal=refusal,
            effective=None if array is None else array.effective,
            effective_priority=None if array is None else array.effective_level,
            ts=now,
        )

    async def _finish(self, outcome: CommandOutcome) -> CommandOutcome:
        self._counts[str(outcome.status)] += 1
        if outcome.refusal is not None:
            self._counts[f"refused_{outcome.refusal}"] += 1
        await self._audit.record(outcome)
        return outcome

    # -- state -------------------------------------------------------------------------

    def _lock(self, point_id: str) -> asyncio.Lock:
        lock = self._locks.get(point_id)
        if lock is None:
            lock = self._locks[point_id] = asyncio.Lock()
        return lock

    def _array(self, point: Point) -> PriorityArray:
        array = self._arrays.get(point.id)
        if array is None:
            default = self._rules.get(point.id, NO_RULES).relinquish_default
            array = self._arrays[point.id] = PriorityArray(default)
        return array

    # -- start and run -----------------------------------------------------------------

    async def restore(self) -> int:
        """Rebuild the priority arrays and idempotency keys from the audit log (at start,
        before `run` and any command); how many stored commands were replayed."""
        horizon = self._clock.now() - self._config.idempotency_memory
        replayed = 0
        async for _, outcome in self._audit.replay():
            if outcome.duplicate or outcome.status not in STORED:
                continue
            request = outcome.request
            if not self._model.has_point(request.point):
                log.warning("audit: %s is no longer in the model; skipped", request.point)
                continue
            array = self._array(self._model.point(request.point))
            if request.value is None:
                array.relinquish(request.priority)
            else:
                array.write(request.priority, request.value, request.actor, outcome.ts, outcome.id)
            if outcome.ts >= horizon:
                self._memory.remember(outcome)
            replayed += 1
        self._orphans = self._interlocks.restore(self._arrays)
        return replayed

    async def run(self) -> None:
        """Follow observations (read-backs, interlock triggers) until cancelled or the bus
        closes. The subscription blocks rather than drops: no trigger may be lost."""
        sub = self._bus.subscribe(
            f"{OBSERVATIONS}.>", name="control", maxsize=self._queue_size, overflow=Overflow.BLOCK
        )
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                self._interlocks.start(self.submit, self._spawn)
                self._release_orphans()
                try:
                    while batch := await sub.batch(1_000):
                        for _, message in batch:
                            if isinstance(message, Observation):
                                self._observe(message)
                finally:
                    self._interlocks.stop()
                    for task in list(self._workers):
                        task.cancel()
        finally:
            self._group = None
            await sub.close()

    def _observe(self, observation: Observation) -> None:
        self._observations += 1
        self._writer.readbacks.observe(observation)
        self._interlocks.observe(observation)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        if self._group is None:
            work.close()
            return
        task = self._group.create_task(work, name=name)
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)

    def _release_orphans(self) -> None:
        """Interlock levels the journal holds that no configured interlock claims."""
        for point, level, actor in self._orphans:
            reason = f"interlock {actor.name} no longer commands this point at this level"
            request = CommandRequest(point, None, level, actor, reason)
            self._spawn(self._submit_quietly(request), f"release-{point}-{level}")
        self._orphans = []

    async def _submit_quietly(self, request: CommandRequest) -> None:
        try:
            outcome = await self.submit(request)
        except PenworksError as exc:
            log.error("releasing %s at level %s failed: %s", request.point, request.priority, exc)
            return
        log.warning("%s: %s", request.reason, outcome.status)

    # -- queries -----------------------------------------------------------------------

    def priority_array(self, point_id: str) -> PrioritySnapshot:
        """The point's 16 levels, effective value and holds; UnknownPointError if unknown."""
        point = self._model.point(point_id)
        array = self._arrays.get(point_id)
        if array is None:
            default = self._rules.get(point_id, NO_RULES).relinquish_default
            array = PriorityArray(default if point.writable else None)
        return PrioritySnapshot(
            point=point_id,
            writable=point.writable,
            levels=array.levels(),
            effective=array.effective,
            effective_priority=array.effective_level,
            relinquish_default=array.relinquish_default,
            holds=self._interlocks.holds(point_id),
        )

    async def audit(
        self,
        point: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Audit records newest first (each an outcome's data with `seq` and `recorded`)."""
        return await self._audit.query(point, start, end, limit)

    def interlocks(self) -> list[InterlockStatus]:
        """Every interlock instance: its trigger, whether it is active, what it commands."""
        return self._interlocks.statuses()

    def stats(self) -> dict[str, int]:
        """Counters: commands by status and refusal, duplicates, observations, read-backs
        waiting, interlock instances active, activations, holds, ..."""
        counts = dict(self._counts)
        counts.update(
            observations=self._observations,
            readbacks_waiting=self._writer.readbacks.pending(),
            arrays=sum(1 for a in self._arrays.values() if a.effective_level is not None),
            idempotency_keys=len(self._memory),
            interlock_instances=len(self._interlocks.statuses()),
            interlocks_active=self._interlocks.active_instances(),
            interlock_activations=self._interlocks.activations,
            interlock_deactivations=self._interlocks.deactivations,
            interlock_retries=self._interlocks.retries,
            points_held=self._interlocks.held_points(),
        )
        return counts


def _expired(request: CommandRequest, now: datetime) -> bool:
    return request.expires_at is not None and now > request.expires_at


def _late(request: CommandRequest) -> str:
    assert request.expires_at is not None
    return f"expired at {request.expires_at.isoformat()}"
