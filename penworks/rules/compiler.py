"""Compile a rule against a building: resolve its selectors into instances, check the rest.

A rule with `for_each` gets one instance per point it selects (the anchor); each input
selector must then name exactly one point for that anchor, or the instance is skipped and
reported. Problems are collected, each with where in the rule it is, so that the loader can
name the file, the line and the rule for every one of them at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from penworks.core import ModelError, Point, UnknownPointError
from penworks.core.expr import Expression
from penworks.model.entities import EntityKind
from penworks.model.select import PLACEHOLDERS, PointSelector, anchor_places, select_points
from penworks.model.site import SiteModel
from penworks.rules.definitions import ActionDef, LiteralValue, RuleDef, ScheduleInput
from penworks.rules.sinks import ScheduleSource
from penworks.rules.templates import MessageTemplate

Loc = tuple[str | int, ...]
SHOWN: Final = 5  # skipped instances named in a warning


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """One instance of a rule: its anchor and where each of its names comes from."""

    key: str  # the alarm id: "<rule id>:<anchor id>", or the rule id without an anchor
    anchor: str | None
    points: tuple[tuple[str, str], ...]  # (input name, point id)
    schedules: tuple[tuple[str, str], ...]  # (input name, schedule id)
    static: Mapping[str, Any]  # names fixed for the instance: rule, point, name, places
    area: str  # default alarm and notice area: the anchor's floor, else building
    targets: Mapping[str, tuple[str, ...]]  # action place ("on_active[0]") -> points to command


@dataclass(frozen=True, slots=True)
class CompiledAction:
    """An action with its expressions and templates compiled."""

    where: str
    action: ActionDef
    value: Expression | None = None  # a command value given as an expression
    literal: LiteralValue = None  # a command value given as a literal
    templates: Mapping[str, MessageTemplate] = field(default_factory=dict)
    data: Mapping[str, Expression | LiteralValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its definition, compiled parts and resolved instances."""

    definition: RuleDef
    owner: str  # the rule file, or the app that added it
    when: Expression
    clear_when: Expression | None
    suppress_when: Expression | None
    message: MessageTemplate | None
    area: MessageTemplate | None
    on_active: tuple[CompiledAction, ...]
    on_clear: tuple[CompiledAction, ...]
    instances: tuple[InstanceSpec, ...]
    skipped: tuple[str, ...]  # "<anchor>: why", for instances that could not be built
    warnings: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.definition.id


@dataclass(frozen=True, slots=True)
class Problem:
    """An error in a rule: where in the rule (a key path) and what."""

    loc: Loc
    message: str


class _Skip(Exception):  # noqa: N818 - internal control flow: this anchor gets no instance
    pass


@dataclass
class _Compilation:
    rule: RuleDef
    model: SiteModel
    schedules: ScheduleSource | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing_places: set[str] = field(default_factory=set)
    target_counts: dict[str, int] = field(default_factory=dict)  # command targets per action
    places_read: frozenset[str] = frozenset()  # the places its expressions and templates read

    def __post_init__(self) -> None:
        used = frozenset().union(*(names for _, names in self.rule.names_read()))
        self.places_read = used & frozenset(PLACEHOLDERS)

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append(Problem(loc, message))


def compile_rule(
    rule: RuleDef, model: SiteModel, schedules: ScheduleSource | None, owner: str
) -> tuple[CompiledRule | None, list[Problem], list[str]]:
    """The compiled rule (None if it has errors), its errors and its warnings."""
    work = _Compilation(rule, model, schedules)
    anchors = _anchors(work)
    _check_schedules(work)
    _check_fixed_targets(work)
    instances: list[InstanceSpec] = []
    if not work.errors:
        for anchor in anchors:
            try:
                instances.append(_instance(work, anchor))
            except _Skip as why:
                work.skipped.append(f"{anchor.id if anchor else rule.id}: {why}")
            if work.errors:
                break
    if work.errors:
        return None, work.errors, work.warnings
    _summarize(work, len(anchors), len(instances))
    compiled = CompiledRule(
        definition=rule,
        owner=owner,
        when=Expression.compile(rule.when),
        clear_when=_expression(rule.clear_when),
        suppress_when=_expression(rule.suppress_when),
        message=MessageTemplate.compile(rule.alarm.message) if rule.alarm else None,
        area=MessageTemplate.compile(rule.alarm.area) if rule.alarm and rule.alarm.area else None,
        on_active=tuple(_action(f"on_active[{i}]", a) for i, a in enumerate(rule.on_active)),
        on_clear=tuple(_action(f"on_clear[{i}]", a) for i, a in enumerate(rule.on_clear)),
        instances=tuple(instances),
        skipped=tuple(work.skipped),
        warnings=tuple(work.warnings),
    )
    return compiled, [], work.warnings


def _anchors(work: _Compilation) -> list[Point | None]:
    selector = work.rule.for_each
    if selector is None:
        return [None]
    try:
        found: list[Point | None] = list(select_points(work.model, selector))
    except (ModelError, UnknownPointError) as exc:
        work.error(("for_each",), str(exc))
        return []
    if not found:
        work.warnings.append(f"rule {work.rule.id}: for_each selects no point: no instances")
    return found


def _check_schedules(work: _Compilation) -> None:
    wanted = {n: s.schedule for n, s in work.rule.inputs.items() if isinstance(s, ScheduleInput)}
    if not wanted:
        return
    if work.schedules is None:
        for name in wanted:
            work.error(("inputs", name, "schedule"), "no schedules are configured")
        return
    known = set(work.schedules.schedule_ids())
    for name, schedule in wanted.items():
        if schedule not in known:
            listed = ", ".join(sorted(known)) or "none"
            work.error(
                ("inputs", name, "schedule"), f"unknown schedule {schedule!r} (known: {listed})"
            )


def _check_fixed_targets(work: _Compilation) -> None:
    for where, action in work.rule.actions():
        command = action.command
        if command is None or command.point is None:
            continue
        try:
            target = work.model.point(command.point)
        except UnknownPointError as exc:
            work.error(_loc(where, "command", "point"), str(exc))
            continue
        if not target.writable:
            work.error(_loc(where, "command", "point"), f"{target.id} is not writable")


def _instance(work: _Compilation, anchor: Point | None) -> InstanceSpec:
    rule, model = work.rule, work.model
    places = anchor_places(model, anchor) if anchor is not None else {}
    points: list[tuple[str, str]] = []
    schedules: list[tuple[str, str]] = []
    for name, source in rule.inputs.items():
        if isinstance(source, ScheduleInput):
            schedules.append((name, source.schedule))
        else:
            points.append((name, _one_point(work, ("inputs", name), source, anchor, places)))
    static: dict[str, Any] = {"rule": rule.id}
    if anchor is not None:
        static.update(places, point=anchor.id, name=anchor.name or anchor.id)
        _note_missing_places(work, places)
    if anchor is not None:
        area = places.get("floor") or places.get("building") or ""
    else:  # no anchor: the building of its first point, else the site's first building
        area = _building(model, model.point(points[0][1]) if points else None)
    return InstanceSpec(
        key=f"{rule.id}:{anchor.id}" if anchor is not None else rule.id,
        anchor=anchor.id if anchor is not None else None,
        points=tuple(points),
        schedules=tuple(schedules),
        static=static,
        area=area,
        targets=_targets(work, anchor, places),
    )


def _one_point(
    work: _Compilation,
    loc: Loc,
    selector: PointSelector,
    anchor: Point | None,
    places: dict[str, str],
) -> str:
    found = _select(work, loc, selector, anchor, places)
    if len(found) != 1:
        label = ".".join(str(k) for k in loc)
        count = "no point" if not found else f"{len(found)} points"
        raise _Skip(f"{label} matches {count} (it must match exactly one)")
    return found[0].id


def _select(
    work: _Compilation,
    loc: Loc,
    selector: PointSelector,
    anchor: Point | None,
    places: dict[str, str],
) -> list[Point]:
    for text in (selector.within, selector.serving):
        if text and text.startswith("{") and text.strip("{}") not in places:
            raise _Skip(f"{'.'.join(str(k) for k in loc)}: the anchor has no {text}")
    try:
        return select_points(work.model, selector, anchor)
    except (ModelError, UnknownPointError) as exc:
        work.error(loc, str(exc))
        raise _Skip(str(exc)) from None


def _targets(
    work: _Compilation, anchor: Point | None, places: dict[str, str]
) -> dict[str, tuple[str, ...]]:
    targets: dict[str, tuple[str, ...]] = {}
    for where, action in work.rule.actions():
        command = action.command
        if command is None:
            continue
        if command.point is not None:
            targets[where] = (command.point,)
            continue
        assert command.select is not None  # the schema gives exactly one of point, select
        loc = _loc(where, "command", "select")
        found = _select(work, loc, command.select, anchor, places)
        for point in found:
            if not point.writable:
                work.error(loc, f"selects {point.id}, which is not writable")
                raise _Skip("a command target is not writable")
        targets[where] = tuple(p.id for p in found)
        work.target_counts[where] = work.target_counts.get(where, 0) + len(found)
    return targets


def _note_missing_places(work: _Compilation, places: dict[str, str]) -> None:
    work.missing_places |= {p for p in work.places_read if p not in places}


def _summarize(work: _Compilation, anchors: int, built: int) -> None:
    rule_id = work.rule.id
    if work.skipped:
        shown = "; ".join(work.skipped[:SHOWN])
        more = f"; and {len(work.skipped) - SHOWN} more" if len(work.skipped) > SHOWN else ""
        work.warnings.append(
            f"rule {rule_id}: {len(work.skipped)} of {anchors} instances skipped: {shown}{more}"
        )
    if work.missing_places:
        names = ", ".join(sorted(work.missing_places))
        work.warnings.append(f"rule {rule_id}: some anchors have no {names} (read as unknown)")
    for where, count in work.target_counts.items():
        if built and count == 0:
            work.warnings.append(f"rule {rule_id}: {where}.command.select selects no point")


def _building(model: SiteModel, point: Point | None) -> str:
    if point is not None:
        return anchor_places(model, point).get("building", "")
    buildings = [e.id for e in model.entities() if e.kind is EntityKind.BUILDING]
    return buildings[0] if buildings else ""


def _action(where: str, action: ActionDef) -> CompiledAction:
    if action.command is not None:
        value, reason = action.command.value, action.command.reason
        templates = {"reason": MessageTemplate.compile(reason)} if reason is not None else {}
        if isinstance(value, str):
            return CompiledAction(
                where, action, value=Expression.compile(value), templates=templates
            )
        return CompiledAction(where, action, literal=value, templates=templates)
    if action.notify is not None:
        templates = {
            "subject": MessageTemplate.compile(action.notify.subject),
            "body": MessageTemplate.compile(action.notify.body),
        }
        return CompiledAction(where, action, templates=templates)
    assert action.event is not None  # the schema gives exactly one kind
    data = {
        k: Expression.compile(v) if isinstance(v, str) else v for k, v in action.event.data.items()
    }
    return CompiledAction(where, action, data=data)


def _expression(text: str | None) -> Expression | None:
    return Expression.compile(text) if text is not None else None


def _loc(where: str, *rest: str) -> Loc:
    """'on_active[0]' + ('command', 'point') -> ('on_active', 0, 'command', 'point')."""
    name, _, index = where.partition("[")
    return (name, int(index.rstrip("]")), *rest)
