"""Rules: what runs, each rule's instances, and reloading the rule files."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from penworks.api.context import Context
from penworks.api.problems import ProblemError
from penworks.api.protocols import RuleSource
from penworks.api.responses import problems
from penworks.core import ConfigError

router = APIRouter(tags=["rules"])

RuleId = Annotated[str, Path(description="Rule id", examples=["zone_too_warm"])]


def _rules(context: Context) -> RuleSource:
    if context.rules is None:
        raise ProblemError(503, "Rules not running", "this platform runs no rule engine",
                           kind="rules-unavailable")  # fmt: skip
    return context.rules


def _json(item: object) -> dict[str, Any]:
    data: dict[str, Any] = asdict(item)  # type: ignore[call-overload]
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


@router.get(
    "/api/rules",
    summary="Rules",
    description="Every rule that runs: where it comes from (a file or an app), how many "
    "instances (one per matched point), how many are active, evaluations and errors.",
    responses=problems(503),
)
async def list_rules(context: Context) -> list[dict[str, Any]]:
    return [_json(r) for r in _rules(context).rules()]


@router.get(
    "/api/rules/{rule_id}",
    summary="One rule and its instances",
    description="The rule's status and each instance: its point, whether its condition is "
    "active, pending (waiting for its duration) or clearing, and the latest value.",
    responses=problems(404, 422, 503),
)
async def get_rule(context: Context, rule_id: RuleId) -> dict[str, Any]:
    rules = _rules(context)
    return _json(rules.rule(rule_id)) | {
        "instance_list": [_json(i) for i in rules.instances(rule_id)]
    }


@router.post(
    "/api/rules/reload",
    summary="Reload the rule files",
    description="Read every rule file again and run the new set. A file with an error is "
    "refused as a whole (422, naming the file, the rule and the reason) and the running "
    "rules stay as they were. Rules whose text did not change keep their state.",
    responses=problems(422, 503),
)
async def reload_rules(context: Context) -> dict[str, Any]:
    try:
        loaded = await _rules(context).reload()
    except ConfigError as exc:
        raise ProblemError(422, "Rule files refused", str(exc), kind="rules-refused") from exc
    return {"files": list(loaded.files), "rules": loaded.rules, "warnings": list(loaded.warnings)}
