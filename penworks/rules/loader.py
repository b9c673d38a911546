"""Load rule files: all or nothing, every problem named with its file, line and rule.

A file is read once, each rule is validated on its own (so one bad rule does not hide the
problems of the next), then compiled against the building. Any error refuses the whole file
(and the whole set, when several files load together): the caller keeps running the rules
it had. Rules that select no point are not errors (a rule file may be written for many
buildings); they are reported in `RuleSet.warnings`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from penworks.core import ConfigError
from penworks.core.yamlfile import format_loc, locate, read_yaml
from penworks.model.site import SiteModel
from penworks.rules.compiler import CompiledRule, compile_rule
from penworks.rules.definitions import RuleDef
from penworks.rules.sinks import ScheduleSource


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Compiled rules from one or more files, ready for `RuleEngine.replace`."""

    rules: tuple[CompiledRule, ...] = ()
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[CompiledRule]:
        return iter(self.rules)

    def ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def get(self, rule_id: str) -> CompiledRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def load_rule_file(
    path: Path, model: SiteModel, schedules: ScheduleSource | None = None
) -> RuleSet:
    """The rules of one file; ConfigError listing every problem (file:line: rule id: what)."""
    return load_rule_files([path], model, schedules)


def load_rule_files(
    paths: Iterable[Path], model: SiteModel, schedules: ScheduleSource | None = None
) -> RuleSet:
    """The rules of several files as one set (ids unique across them); all or nothing."""
    errors: list[str] = []
    rules: list[CompiledRule] = []
    warnings: list[str] = []
    first_seen: dict[str, str] = {}
    sources: list[str] = []
    for path in paths:
        loaded = _FileLoad(path, model, schedules)
        loaded.run(first_seen)
        errors.extend(loaded.errors)
        rules.extend(loaded.rules)
        warnings.extend(f"{path}: {w}" for w in loaded.warnings)
        sources.append(str(path))
    if errors:
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        raise ConfigError(f"rules refused ({count}; nothing was loaded):\n" + "\n".join(errors))
    return RuleSet(tuple(rules), tuple(warnings), tuple(sources))


def build_rule(
    rule: RuleDef, model: SiteModel, schedules: ScheduleSource | None, owner: str
) -> CompiledRule:
    """A rule given in Python (an app's), compiled; ConfigError naming the rule and why."""
    compiled, problems, _ = compile_rule(rule, model, schedules, owner)
    if compiled is None:
        lines = [f"rule {rule.id} ({owner}): {format_loc(p.loc)}: {p.message}" for p in problems]
        raise ConfigError("\n".join(lines))
    return compiled


class _FileLoad:
    """One file's rules, errors and warnings."""

    def __init__(self, path: Path, model: SiteModel, schedules: ScheduleSource | None) -> None:
        self.path = path
        self.model = model
        self.schedules = schedules
        self.node: yaml.Node | None = None
        self._errors: list[tuple[int, str]] = []  # (line, text), sorted when read
        self.rules: list[CompiledRule] = []
        self.warnings: list[str] = []

    def run(self, first_seen: dict[str, str]) -> None:
        try:
            items = self._items()
        except ConfigError as exc:
            self._errors.append((0, str(exc)))
            return
        valid: list[tuple[int, RuleDef]] = []
        for index, item in enumerate(items):
            rule = self._validate(index, item)
            if rule is not None and self._unique(index, rule, first_seen):
                valid.append((index, rule))
        for index, rule in valid:
            compiled, problems, warnings = compile_rule(
                rule, self.model, self.schedules, str(self.path)
            )
            for problem in problems:
                self._error(index, problem.loc, rule.id, problem.message)
            self.warnings.extend(warnings)
            if compiled is not None:
                self.rules.append(compiled)

    def _items(self) -> list[Any]:
        data, self.node = read_yaml(self.path)
        if data is None:
            raise ConfigError(f"{self.path}: the file is empty")
        if not isinstance(data, dict) or "rules" not in data:
            raise ConfigError(f"{self.path}:1: a rule file is a mapping with a list `rules:`")
        unknown = sorted(str(k) for k in data if k != "rules")
        if unknown:
            line, _ = locate(self.node, (unknown[0],))
            raise ConfigError(f"{self.path}:{line}: unknown key {unknown[0]!r} (only `rules`)")
        items = data["rules"]
        if not isinstance(items, list):
            line, _ = locate(self.node, ("rules",))
            raise ConfigError(f"{self.path}:{line}: rules: expected a list of rules")
        return items

    def _validate(self, index: int, item: Any) -> RuleDef | None:
        try:
            return RuleDef.model_validate(item)
        except ValidationError as exc:
            rule_id = item.get("id") if isinstance(item, dict) else None
            for error in exc.errors(include_url=False):
                loc = tuple(k for k in error["loc"] if isinstance(k, int | str))
                self._error(index, loc, rule_id, _message(error["msg"]))
            return None

    def _unique(self, index: int, rule: RuleDef, first_seen: dict[str, str]) -> bool:
        here = f"{self.path}:{locate(self.node, ('rules', index))[0]}"
        if rule.id in first_seen:
            self._error(index, ("id",), rule.id, f"the id is used before, at {first_seen[rule.id]}")
            return False
        first_seen[rule.id] = here
        return True

    def _error(self, index: int, loc: tuple[int | str, ...], rule_id: object, message: str) -> None:
        """One error line: file:line: rule <id>: key.path: what."""
        line, spelled = locate(self.node, ("rules", index, *loc))
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        inside = spelled[2:]
        rule = f"rule {rule_id}" if isinstance(rule_id, str) else f"rule #{index + 1}"
        path = f"{format_loc(inside)}: " if inside else ""
        self._errors.append((line or 0, f"{where}: {rule}: {path}{message}"))

    @property
    def errors(self) -> list[str]:
        return [text for _, text in sorted(self._errors, key=lambda e: e[0])]


def _message(text: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text
