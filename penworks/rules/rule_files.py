"""The rule files a platform runs, and reloading them without stopping anything.

A reload reads every file again; if any of them has an error the whole set is refused with
the file, the rule and the reason, and the rules that were running go on unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from penworks.model import SiteModel
from penworks.rules.engine import RuleEngine
from penworks.rules.loader import load_rule_files
from penworks.rules.sinks import ScheduleSource
from penworks.rules.status import InstanceStatus, RuleStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuleLoad:
    """What a (re)load installed."""

    files: tuple[str, ...]
    rules: int
    warnings: tuple[str, ...]


class RuleFiles:
    """The engine and the files it runs (the API's view of the rules)."""

    def __init__(
        self,
        engine: RuleEngine,
        paths: Sequence[Path],
        model: SiteModel,
        schedules: ScheduleSource | None,
    ) -> None:
        self.engine = engine
        self.paths = tuple(paths)
        self._model = model
        self._schedules = schedules
        self._lock = asyncio.Lock()

    async def reload(self) -> RuleLoad:
        """Read the files again and run them; ConfigError (nothing changed) on any error."""
        async with self._lock:
            rule_set = await asyncio.to_thread(
                load_rule_files, self.paths, self._model, self._schedules
            )
            self.engine.replace(rule_set)
        for warning in rule_set.warnings:
            log.warning("rules: %s", warning)
        return RuleLoad(tuple(str(p) for p in self.paths), len(rule_set), rule_set.warnings)

    def rules(self) -> list[RuleStatus]:
        return self.engine.rules()

    def rule(self, rule_id: str) -> RuleStatus:
        return self.engine.rule(rule_id)

    def instances(self, rule_id: str) -> list[InstanceStatus]:
        return self.engine.instances(rule_id)
