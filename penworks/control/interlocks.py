"""Interlocks at run time: instances that activate on their trigger's value and hold points.

Each (point, level) an interlock commands is a *slot*. An active instance puts a claim on
each of its slots; the first claim of a slot is the one written, so two instances (the fire
zones of two floors recalling the same lifts) share a slot, and the level is relinquished
only when the last of them lets go. A point with a claimed slot is *held*: the command path
refuses any other actor's command at that level or a less urgent one.

A slot is brought to what its claims want by one worker task at a time, which submits
through the command path (so interlock commands are checked and audited like any other),
retries failed writes while the claim stands, and collapses rapid changes to the latest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from penworks.control.binding import InstancePlan
from penworks.control.priority import PriorityArray
from penworks.control.types import (
    Actor,
    ActorKind,
    CommandOutcome,
    CommandRequest,
    CommandStatus,
    Hold,
    InterlockStatus,
    Refusal,
)
from penworks.core import Clock, Observation, PenworksError, Quality, Value
from penworks.core.expr import ExpressionError, MissingValue

log = logging.getLogger(__name__)

Submit = Callable[[CommandRequest], Awaitable[CommandOutcome]]
Spawn = Callable[[Coroutine[Any, Any, None], str], None]
Claimed = tuple[Actor, Value]  # who holds a slot's level, at what value


@dataclass(eq=False, slots=True)
class Instance:
    """One interlock for one trigger point, and its state."""

    plan: InstancePlan
    actor: Actor
    active: bool | None = None
    since: datetime | None = None
    value: Value | None = None
    error: str | None = None

    def reason(self) -> str:
        interlock = self.plan.interlock
        text = f"interlock {interlock.id}: {self.plan.trigger} is {self.value!r}"
        return f"{text} ({interlock.description})" if interlock.description else text


@dataclass(eq=False, slots=True)
class Claim:
    """An instance's wish that a slot hold a value. A claim restored from the journal has no
    instance: it stands for the instances that may have made it (`pending`) until each of
    them has been seen, so a restart never lets go of a hold the building still needs."""

    actor: Actor
    value: Value
    instance: Instance | None
    pending: set[Instance] = field(default_factory=set)

    def trigger(self) -> str:
        if self.instance is not None:
            return self.instance.plan.trigger
        unseen = ", ".join(sorted(i.plan.trigger for i in self.pending))
        return f"restored at start; not yet seen: {unseen}"

    def reason(self) -> str:
        if self.instance is not None:
            return self.instance.reason()
        return f"interlock {self.actor.name}: {self.trigger()}"


@dataclass(eq=False, slots=True)
class Slot:
    """One (point, level) that interlocks command."""

    point: str
    priority: int
    claims: list[Claim] = field(default_factory=list)
    applied: Claimed | None = None  # what the level holds by an interlock's command
    stale: bool = False  # the last write failed (or must be redone): write again
    busy: bool = False
    error: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wanted(self) -> Claimed | None:
        if not self.claims:
            return None
        first = self.claims[0]
        return (first.actor, first.value)


class InterlockBoard:
    """Every interlock instance, found by trigger point; the holds they put on points."""

    def __init__(self, plans: Sequence[InstancePlan], clock: Clock) -> None:
        self._clock = clock
        self._instances = [Instance(p, Actor(ActorKind.INTERLOCK, p.interlock.id)) for p in plans]
        self._by_trigger: dict[str, list[Instance]] = {}
        self._slots: dict[tuple[str, int], Slot] = {}
        self._slots_of: dict[str, list[Slot]] = {}
        for instance in self._instances:
            self._by_trigger.setdefault(instance.plan.trigger, []).append(instance)
            for target in instance.plan.targets:
                key = (target.point, target.priority)
                if key not in self._slots:
                    slot = self._slots[key] = Slot(target.point, target.priority)
                    self._slots_of.setdefault(target.point, []).append(slot)
        for slots in self._slots_of.values():
            slots.sort(key=lambda s: s.priority)
        self._submit: Submit | None = None
        self._spawn: Spawn | None = None
        self.activations = 0
        self.deactivations = 0
        self.retries = 0

    def start(self, submit: Submit, spawn: Spawn) -> None:
        """Where commands go and how workers are started (the service's run loop)."""
        self._submit, self._spawn = submit, spawn
        for slot in self._slots.values():
            if slot.claims or slot.applied is not None:
                self._kick(slot)

    def stop(self) -> None:
        self._submit = self._spawn = None

    # -- observations ------------------------------------------------------------------

    def observe(self, observation: Observation) -> None:
        """Evaluate the instances this observation triggers (a dict lookup for the others)."""
        instances = self._by_trigger.get(observation.point)
        if instances is None:
            return
        for instance in instances:
            if observation.quality is Quality.BAD:
                instance.error = "the trigger's value is bad: the state is kept"
                continue
            try:
                active = instance.plan.condition.truth({"value": observation.value})
            except (MissingValue, ExpressionError) as exc:
                instance.error = f"the condition cannot be decided: {exc}"
                continue
            instance.error, instance.value = None, observation.value
            self._settle(instance, active)

    def _settle(self, instance: Instance, active: bool) -> None:
        first_sight = instance.active is None
        if active != instance.active:
            was_active = instance.active
            instance.active, instance.since = active, self._clock.now()
            if active:
                self.activations += 1
                for target in instance.plan.targets:
                    slot = self._slots[(target.point, target.priority)]
                    slot.claims.append(Claim(instance.actor, target.value, instance))
                    self._kick(slot)
                log.warning("%s: active", instance.reason())
            elif was_active:
                self.deactivations += 1
                self._release(instance)
                log.warning("%s: no longer active", instance.reason())
        if first_sight:
            self._seen(instance, active)

    def _seen(self, instance: Instance, active: bool) -> None:
        """The first decided value of a trigger settles the claims restored for it."""
        for slot in self._slots_for(instance):
            for claim in [c for c in slot.claims if instance in c.pending]:
                claim.pending.discard(instance)
                if active:  # the fire goes on after a restart: write the levels again
                    slot.stale = True
                if not claim.pending:
                    slot.claims.remove(claim)
                self._kick(slot)

    def _release(self, instance: Instance) -> None:
        for slot in self._slots_for(instance):
            slot.claims = [c for c in slot.claims if c.instance is not instance]
            self._kick(slot)

    def _slots_for(self, instance: Instance) -> list[Slot]:
        return [self._slots[(t.point, t.priority)] for t in instance.plan.targets]

    # -- holds -------------------------------------------------------------------------

    def hold(self, point: str, priority: int) -> Hold | None:
        """The hold a command at `priority` to `point` would undo, if any."""
        for slot in self._slots_of.get(point, ()):
            if slot.claims and slot.priority <= priority:
                return _hold(slot)
        return None

    def holds(self, point: str) -> tuple[Hold, ...]:
        return tuple(_hold(s) for s in self._slots_of.get(point, ()) if s.claims)

    def held_points(self) -> int:
        return sum(1 for slots in self._slots_of.values() if any(s.claims for s in slots))

    # -- restore and status ------------------------------------------------------------

    def restore(self, arrays: Mapping[str, PriorityArray]) -> list[tuple[str, int, Actor]]:
        """Take back the levels interlocks left in the arrays: each stays claimed (and the
        point held) until every instance that may have written it has been seen. Returns
        the interlock levels no instance claims any more (an interlock removed from the
        file), to be relinquished."""
        orphans = []
        for point, array in arrays.items():
            for entry in array.occupied():
                if entry.actor.kind is not ActorKind.INTERLOCK:
                    continue
                slot = self._slots.get((point, entry.priority))
                owners = [] if slot is None else self._targeting(slot, entry.actor)
                if slot is None or not owners:
                    orphans.append((point, entry.priority, entry.actor))
                    continue
                slot.applied = (entry.actor, entry.value)
                slot.claims.append(Claim(entry.actor, entry.value, None, set(owners)))
        return orphans

    def _targeting(self, slot: Slot, actor: Actor) -> list[Instance]:
        return [
            i
            for i in self._instances
            if i.actor == actor
            and any(t.point == slot.point and t.priority == slot.priority for t in i.plan.targets)
        ]

    def statuses(self) -> list[InterlockStatus]:
        return [
            InterlockStatus(
                interlock=i.plan.interlock.id,
                description=i.plan.interlock.description,
                trigger=i.plan.trigger,
                active=i.active,
                since=i.since,
                value=i.value,
                error=i.error,
                targets=i.plan.targets,
            )
            for i in self._instances
        ]

    def active_instances(self) -> int:
        return sum(1 for i in self._instances if i.active)

    # -- the workers -------------------------------------------------------------------

    def _kick(self, slot: Slot) -> None:
        slot.wake.set()
        if slot.busy or self._spawn is None:
            return
        slot.busy = True
        self._spawn(self._sync(slot), f"interlock-{slot.point}-{slot.priority}")

    async def _sync(self, slot: Slot) -> None:
        """Submit until the slot's level holds what its claims want."""
        try:
            while self._submit is not None:
                slot.wake.clear()
                wanted = slot.wanted()
                if wanted == slot.applied and not slot.stale:
                    return
                request = self._request(slot, wanted)
                if request is None:
                    return
                try:
                    outcome = await self._submit(request)
                except PenworksError as exc:  # the journal or the bus failed: try again later
                    log.error("interlock command to %s failed: %s", slot.point, exc)
                    await self._retry(slot, wanted, str(exc))
                    continue
                if not self._taken(slot, request, outcome):
                    return
                if slot.stale:
                    await self._retry(slot, wanted, outcome.detail)
        finally:
            slot.busy = False

    def _request(self, slot: Slot, wanted: Claimed | None) -> CommandRequest | None:
        if wanted is not None:
            actor, value = wanted
            reason = slot.claims[0].reason()
            return CommandRequest(slot.point, value, slot.priority, actor, reason)
        if slot.applied is None:
            return None
        actor = slot.applied[0]
        return CommandRequest(
            slot.point, None, slot.priority, actor, f"interlock {actor.name} released"
        )

    def _taken(self, slot: Slot, request: CommandRequest, outcome: CommandOutcome) -> bool:
        """Note what the command did to the slot; False when retrying cannot help."""
        retry = outcome.status is CommandStatus.FAILED or outcome.refusal is Refusal.NO_CONNECTOR
        if outcome.status is CommandStatus.REFUSED and not retry:
            slot.error, slot.stale = outcome.detail, False
            log.error("interlock command refused: %s", outcome.detail)
            return False
        if outcome.status is not CommandStatus.REFUSED:
            slot.applied = None if request.value is None else (request.actor, request.value)
        # A released level is no longer the interlock's to write again, even if the write of
        # what the point falls back to failed.
        slot.stale = retry and not (request.value is None and slot.applied is None)
        slot.error = outcome.detail if retry else None
        return True

    async def _retry(self, slot: Slot, wanted: Claimed | None, why: str) -> None:
        """Wait before writing again, unless the claims change first."""
        slot.stale, slot.error = True, why
        self.retries += 1
        owner = wanted[0] if wanted is not None else slot.applied[0] if slot.applied else None
        seconds = self._retry_s(owner)
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        waker = asyncio.ensure_future(slot.wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _retry_s(self, owner: Actor | None) -> float:
        for instance in self._instances:
            if instance.actor == owner:
                return instance.plan.interlock.retry.total_seconds()
        return 30.0


def _hold(slot: Slot) -> Hold:
    claim = slot.claims[0]
    return Hold(claim.actor.name, claim.trigger(), slot.priority, claim.value)
