"""The automation half of the composition root: commands, alarms, schedules, notifications
and rules of one platform, built from the config against the model.

`runtime.Platform` owns an `Automation`: it builds it (every file is read and checked
against the model here, so a bad file stops the start with its reason), restores the command
and alarm state from the journal before any input runs, and runs its services next to the
connectors. The rule engine reaches equipment only through `ControlService`, as rules
(`ActorKind.RULE`), so every rule command is checked, held by interlocks and audited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from penworks.bus import Bus
from penworks.config import AutomationConfig
from penworks.control import (
    Actor,
    ActorKind,
    CommandRequest,
    CommandStatus,
    ControlConfig,
    ControlService,
    WritePort,
    load_control_config,
)
from penworks.core import Clock, CommandRejected, Value
from penworks.model import SiteModel
from penworks.rules import (
    AlarmBook,
    Notifier,
    RuleEngine,
    ScheduleBook,
    build_schedule_connector,
    load_notification_config,
    load_rule_files,
)
from penworks.rules.rule_files import RuleFiles
from penworks.store import Journal

log = logging.getLogger(__name__)


class RuleCommands:
    """The rule engine's CommandSink: a rule's command goes through the command path."""

    def __init__(self, control: ControlService) -> None:
        self._control = control

    async def command(
        self, point: str, value: Value | None, priority: int, *, source: str, reason: str
    ) -> None:
        request = CommandRequest(
            point=point,
            value=value,
            priority=priority,
            actor=Actor(ActorKind.RULE, source),
            reason=reason or f"rule {source}",
        )
        outcome = await self._control.submit(request)
        if outcome.status in (CommandStatus.REFUSED, CommandStatus.FAILED):
            raise CommandRejected(f"{point}: {outcome.status.value}: {outcome.detail}")


class Automation:
    """Control, alarms, schedules, notifications and rules over one model and bus."""

    def __init__(
        self,
        config: AutomationConfig,
        model: SiteModel,
        bus: Bus,
        clock: Clock,
        journal: Journal,
        connector_for: Callable[[str], WritePort | None],
    ) -> None:
        control_config = (
            load_control_config(config.control) if config.control is not None else ControlConfig()
        )
        self.control = ControlService(model, bus, clock, journal, control_config, connector_for)
        self.alarms = AlarmBook(clock, journal, bus, settings=config.alarms)
        self.schedules = (
            ScheduleBook.load(config.schedules, timezone=config.timezone)
            if config.schedules is not None
            else None
        )
        self.schedule_points = build_schedule_connector(model, self.schedules, bus, clock)
        self.notifier = (
            Notifier(
                clock,
                journal,
                load_notification_config(config.notifications),
                timezone=config.timezone,
            )
            if config.notifications is not None
            else None
        )
        self.engine = RuleEngine(
            model,
            bus,
            clock,
            alarms=self.alarms,
            commands=RuleCommands(self.control),
            notify=self.notifier,
            schedules=self.schedules,
            timezone=config.timezone,
        )
        self.rules = RuleFiles(self.engine, config.rules, model, self.schedules)
        self.started = asyncio.Event()  # set once every service has subscribed to the bus
        rule_set = load_rule_files(config.rules, model, self.schedules)
        self.engine.replace(rule_set)
        for warning in rule_set.warnings:
            log.warning("rules: %s", warning)
        if self.schedules is not None:
            for warning in self.schedules.warnings(clock.now().date()):
                log.warning("schedules: %s", warning)

    async def restore(self) -> None:
        """Priority arrays, idempotency keys and alarm states as the journal left them."""
        commands = await self.control.restore()
        await self.alarms.restore()
        log.info("restored %d commands and %d alarms", commands, len(self.alarms.alarms()))

    async def run(self) -> None:
        """Every automation service, until cancelled; the notifier's channels are closed."""
        listener = self.alarms.listen() if self.notifier is not None else None
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self.control.run(), name="control")
                tasks.create_task(self.alarms.run(), name="alarms")
                tasks.create_task(self.engine.run(), name="rules")
                if self.notifier is not None:
                    tasks.create_task(self.notifier.run(listener), name="notifications")
                await asyncio.sleep(0)  # each service subscribes in its first step
                self.started.set()
        finally:
            if listener is not None:
                listener.close()
            if self.notifier is not None:
                await self.notifier.close()

    def status(self) -> dict[str, Any]:
        """What /api/health reports of the automation services."""
        return {
            "control": self.control.stats(),
            "alarms": asdict(self.alarms.stats()),
            "rules": asdict(self.engine.stats()),
            "notifications": self.notifier.stats() if self.notifier is not None else None,
            "schedule_points": (
                self.schedule_points.stats() if self.schedule_points is not None else None
            ),
        }
