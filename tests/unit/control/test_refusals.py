"""Every refusal: nothing is stored or written, the reason is given, and it is audited."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from penworks.control import (
    Actor,
    ActorKind,
    CommandOutcome,
    CommandStatus,
    ControlConfig,
    Permission,
    PointPolicy,
    RateLimit,
    Refusal,
)
from penworks.control.config import CommandLimits
from penworks.model import SiteModel
from penworks.model.select import PointSelector
from tests.unit.control.support import (
    APP,
    OPERATOR,
    RULE,
    SCHEDULE,
    SETPOINT,
    SYSTEM,
    T0,
    TEMPERATURE,
    Harness,
    eventually,
    running,
)

LIMITED = ControlConfig(
    confirm_timeout_s=2.0,
    policies=[
        PointPolicy(
            id="comfort",
            select=PointSelector(brick="Zone_Air_Temperature_Setpoint"),
            limits=CommandLimits(min=18, max=26),
            rate_limit=RateLimit(count=2, per=timedelta(minutes=1)),
        )
    ],
)


async def _refused(h: Harness, outcome: CommandOutcome, refusal: Refusal) -> dict[str, Any]:
    """Check a refusal end to end; its audit record."""
    assert outcome.status is CommandStatus.REFUSED, outcome.detail
    assert outcome.refusal is refusal
    assert outcome.detail
    event = await h.event()
    assert (event["status"], event["refusal"], event["id"]) == ("refused", refusal, outcome.id)
    records = await h.service.audit(point=outcome.request.point)
    assert records[0]["id"] == outcome.id
    assert records[0]["refusal"] == str(refusal)
    return records[0]


@pytest.mark.parametrize(
    ("value", "priority", "actor", "point", "refusal", "words"),
    [
        (22.0, 8, OPERATOR, "b15.f3.nowhere", Refusal.UNKNOWN_POINT, "no such point"),
        (22.0, 8, OPERATOR, TEMPERATURE, Refusal.NOT_WRITABLE, "read-only"),
        (22.0, 8, RULE, SETPOINT, Refusal.PERMISSION, "rule actors may command levels 12-16"),
        (22.0, 12, SCHEDULE, SETPOINT, Refusal.PERMISSION, "levels 14-16, not 12"),
        (22.0, 1, OPERATOR, SETPOINT, Refusal.PERMISSION, "not 1"),
        (22.0, 6, SYSTEM, SETPOINT, Refusal.PERMISSION, "reserved"),
        ("warm", 8, OPERATOR, SETPOINT, Refusal.INVALID_VALUE, "expected a number"),
        (True, 8, OPERATOR, SETPOINT, Refusal.INVALID_VALUE, "expected a number"),
        (35.0, 8, OPERATOR, SETPOINT, Refusal.LIMITS, "above the point's maximum 30"),
        (27.0, 8, OPERATOR, SETPOINT, Refusal.LIMITS, "the highest policy comfort allows"),
        (15.0, 10, APP, SETPOINT, Refusal.LIMITS, "below the point's minimum 16"),
        (17.0, 10, APP, SETPOINT, Refusal.LIMITS, "below 18.0, the lowest policy comfort"),
        (None, 16, Actor(ActorKind.OPERATOR, "x"), TEMPERATURE, Refusal.NOT_WRITABLE, "read"),
    ],
)
async def test_refusals_say_why_and_are_audited(
    office: SiteModel,
    value: Any,
    priority: int,
    actor: Actor,
    point: str,
    refusal: Refusal,
    words: str,
) -> None:
    async with running(office, LIMITED) as h:
        outcome = await h.command(value, priority, actor, point=point)
        await _refused(h, outcome, refusal)
        assert words in outcome.detail
        assert h.port.calls == []
        if h.service.priority_array(SETPOINT).writable:
            assert h.service.priority_array(SETPOINT).effective is None


async def test_an_expired_command_never_runs(office: SiteModel) -> None:
    async with running(office) as h:
        late = await h.command(22.0, expires_at=T0 - timedelta(seconds=1))
        record = await _refused(h, late, Refusal.EXPIRED)
        in_time = await h.command(22.0, expires_at=T0 + timedelta(seconds=30))
        assert in_time.status is CommandStatus.CONFIRMED
        assert h.port.writes() == [("write", SETPOINT, 22.0, 8)]
    assert record["expires_at"] == (T0 - timedelta(seconds=1)).isoformat()


async def test_a_command_that_expires_while_waiting_for_the_point_is_refused(
    office: SiteModel,
) -> None:
    async with running(office) as h:
        gate = asyncio.Event()
        h.port.gate = gate
        first = asyncio.create_task(h.command(22.0))
        await eventually(lambda: len(h.port.writes()) == 1)
        waiting = asyncio.create_task(h.command(24.0, expires_at=T0 + timedelta(seconds=5)))
        # Counted on entry: it has passed the first expiry check and waits for the point.
        await eventually(lambda: h.service.stats()["submitted"] == 2)
        h.clock.advance(10)
        gate.set()
        await first
        outcome = await waiting
        assert outcome.refusal is Refusal.EXPIRED
        assert len(h.port.writes()) == 1


async def test_a_kind_of_actor_without_permission_may_not_command(office: SiteModel) -> None:
    config = ControlConfig(permissions={ActorKind.OPERATOR: Permission(highest=8)})
    async with running(office, config) as h:
        outcome = await h.command(22.0, 10, APP)
        await _refused(h, outcome, Refusal.PERMISSION)
    assert outcome.detail == "app actors may not command"


async def test_only_some_actors_may_relinquish_what_others_wrote(office: SiteModel) -> None:
    other_rule = Actor(ActorKind.RULE, "night_setback")
    async with running(office) as h:
        await h.command(24.0, 12, RULE)
        refused = await h.command(None, 12, other_rule)
        await h.event()  # the first command's
        await _refused(h, refused, Refusal.PERMISSION)
        assert "written by rule:zone_too_warm" in refused.detail
        cleared = await h.command(None, 12, OPERATOR)  # operators may clear a stuck level
        assert cleared.status is CommandStatus.RELINQUISHED


async def test_no_connector_is_refused(office: SiteModel) -> None:
    async with running(office) as h:
        h.unconnected.add(SETPOINT)
        outcome = await h.command(22.0)
        await _refused(h, outcome, Refusal.NO_CONNECTOR)
        assert h.service.priority_array(SETPOINT).effective is None


async def test_the_rate_limit_counts_writes_in_clock_time(office: SiteModel) -> None:
    async with running(office, LIMITED) as h:
        for value in (20.0, 21.0):
            assert (await h.command(value)).status is CommandStatus.CONFIRMED
            await h.event()
        h.clock.advance(30)
        third = await h.command(22.0)
        await _refused(h, third, Refusal.RATE_LIMIT)
        assert "at most 2 writes per 1 min" in third.detail
        assert "policy comfort" in third.detail
        assert "next is allowed in 30 s" in third.detail
        # Giving up control and life safety are never limited.
        assert (await h.command(None)).status is CommandStatus.RELINQUISHED
        assert (await h.command(19.0, 1, SYSTEM)).status is CommandStatus.CONFIRMED
        h.clock.advance(31)
        assert (await h.command(22.0)).status is CommandStatus.SUPERSEDED


async def test_the_checks_run_in_order(office: SiteModel) -> None:
    async with running(office, LIMITED) as h:
        expired_and_unknown = await h.command(
            1, 8, RULE, point="b15.nowhere", expires_at=T0 - timedelta(seconds=1)
        )
        unknown_and_no_permission = await h.command(1, 8, RULE, point="b15.nowhere")
        no_permission_and_invalid = await h.command("x", 8, RULE)
        invalid_and_no_connector = await h.command("x", 8)
    assert expired_and_unknown.refusal is Refusal.EXPIRED
    assert unknown_and_no_permission.refusal is Refusal.UNKNOWN_POINT
    assert no_permission_and_invalid.refusal is Refusal.PERMISSION
    assert invalid_and_no_connector.refusal is Refusal.INVALID_VALUE
