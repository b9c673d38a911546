"""Rules: what runs, each rule's instances, and reloading the rule files.

Rules are the park's logic and their instances name every tenant's points with their
values: park-wide readers (viewer, operator, energy manager, security officer) see them, a
tenant's roles do not; reloading the files needs the system permission."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from penworks.api.context import Context
from penworks.api.problems import ProblemError
from penworks.api.protocols import RuleSource
from penworks.api.responses import problems
from penworks.api.security import ParkReader, SystemUser
from penworks.core import ConfigError

log = logging.getLogger(__name__)

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
    responses=problems(401, 403, 503),
)
async def list_rules(context: Context, principal: ParkReader) -> list[dict[str, Any]]:
    return [_json(r) for r in _rules(context).rules()]


@router.get(
    "/api/rules/{rule_id}",
    summary="One rule and its instances",
    description="The rule's status and each instance: its point, whether its condition is "
    "active, pending (waiting for its duration) or clearing, and the latest value.",
    responses=problems(401, 403, 404, 422, 503),
)
async def get_rule(context: Context, principal: ParkReader, rule_id: RuleId) -> dict[str, Any]:
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
    responses=problems(401, 403, 422, 503),
)
async def reload_rules(context: Context, principal: SystemUser) -> dict[str, Any]:
    log.info("%s reloads the rule files", principal.username)
    try:
        loaded = await _rules(context).reload()
    except ConfigError as exc:
        raise ProblemError(422, "Rule files refused", str(exc), kind="rules-refused") from exc
    return {"files": list(loaded.files), "rules": loaded.rules, "warnings": list(loaded.warnings)}
