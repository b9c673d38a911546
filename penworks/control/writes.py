"""Storing a checked command and bringing the device along: the write, then the read-back.

`store_and_write` runs under the point's lock: it stores the command in the array and, when
the effective value changed, writes it. `confirm` runs after the lock is released: it waits
for an observation of the written value (prompting the connector to read the point once),
so a slow device never keeps other commands to the point waiting longer than the write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, replace

from penworks.control.binding import NO_RULES, PointRules
from penworks.control.checks import rate_limited
from penworks.control.config import ControlConfig
from penworks.control.device import DeviceTarget, apply
from penworks.control.ports import WritePort
from penworks.control.priority import PriorityArray
from penworks.control.ratelimit import RateLimiter
from penworks.control.readback import Readbacks, Waiter
from penworks.control.types import CommandOutcome, CommandRequest, CommandStatus
from penworks.core import Clock, PenworksError, Point, Value
from penworks.model import SiteModel

log = logging.getLogger(__name__)


def new_command_id() -> str:
    return f"cmd-{uuid.uuid4().hex[:16]}"


@dataclass(slots=True)
class Pending:
    """A stored command on its way: the outcome if all goes well, the note so far as its
    detail, what to write and through which port, and the read-back it waits for."""

    outcome: CommandOutcome
    target: DeviceTarget
    port: WritePort
    waiter: Waiter | None
    deadline: float = 0.0  # event-loop time by which the write must be read back

    def ends(self, status: CommandStatus | None = None, detail: str = "") -> CommandOutcome:
        return replace(self.outcome, status=status or self.outcome.status, detail=detail)


class Writer:
    """Stores commands and writes, reads back and remembers what each device was told."""

    def __init__(
        self,
        model: SiteModel,
        clock: Clock,
        config: ControlConfig,
        rules: dict[str, PointRules],
        rates: RateLimiter,
    ) -> None:
        self._model = model
        self._clock = clock
        self._config = config
        self._rules = rules
        self._rates = rates
        self._device: dict[str, DeviceTarget] = {}  # what each device was last brought to
        self.readbacks = Readbacks()

    async def store_and_write(
        self,
        request: CommandRequest,
        point: Point,
        array: PriorityArray,
        value: Value | None,
        port: WritePort,
    ) -> CommandOutcome | Pending:
        """Store the command; write the effective value if it changed (the point's lock is
        held); what is left is waiting for the read-back."""
        now = self._clock.now()
        command_id = new_command_id()
        rules = self._rules.get(point.id, NO_RULES)
        level = request.priority
        emptied = None  # the entry a relinquish took out, if any
        if value is None:
            emptied = array.relinquish(level)
            note = f"level {level} {'emptied' if emptied else 'was already empty'}; "
        else:
            array.write(level, value, request.actor, now, command_id)
            if rate_limited(request):
                self._rates.record(point.id, rules.rate_limits, now)
            note = ""
        target = DeviceTarget(array.effective, array.effective_level)
        step = Pending(
            CommandOutcome(
                id=command_id,
                request=request,
                status=CommandStatus.RELINQUISHED if value is None else CommandStatus.CONFIRMED,
                detail=note,
                refusal=None,
                effective=target.value,
                effective_priority=target.level,
                ts=now,
            ),
            target,
            port,
            None,
        )
        top = array.entry(target.level) if target.level is not None else None
        if value is not None and top is not None and top.priority < level:
            return step.ends(
                CommandStatus.SUPERSEDED,
                f"stored at level {level}; level {top.priority} ({top.actor}) holds the point "
                f"at {top.value!r}",
            )
        previous = self._device.get(point.id)
        if previous == target:
            return step.ends(
                detail=f"{note}{target.describe()} is already in effect; nothing written"
            )
        # Nothing was held and nothing is: only a device with levels of its own can still
        # hold a stale write of ours; any other is left to its own control, untouched.
        released_nothing = value is None and emptied is None and target.value is None
        if released_nothing and previous is None and not self._keeps_levels(point.id):
            return step.ends(detail=f"{note}nothing to release; nothing written")
        self.readbacks.replace(point.id, target.value, command_id)
        if target.value is not None and rules.confirm:
            tolerance = rules.tolerance if rules.tolerance is not None else self._config.tolerance
            step.waiter = self.readbacks.expect(
                point.id, target.value, tolerance, self._config.relative_tolerance
            )
        return await self._write(step, point, previous, level)

    async def _write(
        self, step: Pending, point: Point, previous: DeviceTarget | None, level: int
    ) -> CommandOutcome | Pending:
        target, note = step.target, step.outcome.detail
        step.deadline = asyncio.get_running_loop().time() + self._config.confirm_timeout_s
        try:
            async with asyncio.timeout_at(step.deadline):
                await apply(
                    step.port,
                    point.id,
                    target,
                    previous,
                    keeps_levels=self._keeps_levels(point.id),
                    fallback_level=level,
                )
        except (PenworksError, OSError) as exc:
            problem = f"the device or its connector refused: {exc}"
        except TimeoutError:
            problem = f"the connector did not finish within {self._config.confirm_timeout_s:g} s"
        except asyncio.CancelledError:
            if step.waiter is not None:
                self.readbacks.drop(step.waiter)
            raise
        else:
            self._device[point.id] = target
            if step.waiter is not None:
                return step
            unconfirmed = "" if target.value is None else " (no read-back: policy)"
            return step.ends(detail=f"{note}wrote {target.describe()}{unconfirmed}")
        self._device.pop(point.id, None)
        if step.waiter is not None:
            self.readbacks.drop(step.waiter)
        log.info("command to %s failed: %s", point.id, problem)
        return step.ends(
            CommandStatus.FAILED, f"{note}writing {target.describe()} failed: {problem}"
        )

    async def confirm(self, step: Pending) -> CommandOutcome:
        """Wait for the read-back (prompting the connector to read the point once)."""
        waiter, point_id = step.waiter, step.outcome.request.point
        assert waiter is not None
        prompt = asyncio.create_task(self._prompt(step.port, point_id, waiter))
        try:
            await waiter.wait(step.deadline - asyncio.get_running_loop().time())
        finally:
            self.readbacks.drop(waiter)
            prompt.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await prompt
        note, wrote = step.outcome.detail, f"wrote {step.target.describe()}"
        if waiter.confirmed is not None:
            return step.ends(detail=f"{note}{wrote}; read back {waiter.confirmed.value!r}")
        if waiter.replaced_by is not None:
            return step.ends(
                CommandStatus.SUPERSEDED,
                f"{note}{wrote}; command {waiter.replaced_by} wrote another value before the "
                "read-back",
            )
        if self._device.get(point_id) == step.target:
            del self._device[point_id]  # unknown again: the next command writes
        return step.ends(
            CommandStatus.FAILED,
            f"{note}{wrote}; not read back within {self._config.confirm_timeout_s:g} s: "
            f"{waiter.missing()}",
        )

    async def _prompt(self, port: WritePort, point_id: str, waiter: Waiter) -> None:
        """Ask the connector for the point now: polled protocols answer sooner."""
        try:
            observation = await port.read(point_id)
        except (PenworksError, OSError) as exc:
            log.debug("reading %s back failed: %s", point_id, exc)
            return
        if observation is not None:
            waiter.offer(observation)

    def _keeps_levels(self, point_id: str) -> bool:
        binding = self._model.binding(point_id)
        return binding is not None and binding.connector in self._config.device_priority_connectors
