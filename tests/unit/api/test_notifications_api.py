"""/api/notifications over a real Notifier: every delivery attempt, from its journal."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from penworks.core import SimClock
from penworks.model import SiteModel
from penworks.rules import AlarmPriority, Notifier
from penworks.rules.notify_config import NotificationConfig
from penworks.rules.sinks import Notice
from penworks.store import MemoryJournal
from tests.unit.api.automation_support import SMALL_OFFICE, app_over, assert_kind, client_of
from tests.unit.rules.alarm_support import T0

CONFIG = NotificationConfig.model_validate(
    {
        "channels": [{"id": "console", "type": "log"}],
        "recipients": [{"id": "duty", "name": "Duty engineer", "roles": ["duty_engineer"]}],
        "routes": [
            {"id": "all", "match": {"priority_at_most": "low"},
             "to": {"roles": ["duty_engineer"]}, "channels": ["console"]},
        ],
        "notice_channels": ["console"],
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def office() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


async def test_deliveries_are_listed_newest_first_and_by_key(office: SiteModel) -> None:
    clock = SimClock(T0, 1.0)
    notifier = Notifier(clock, MemoryJournal(), CONFIG)
    running = asyncio.create_task(notifier.run())
    try:
        for key in ("filter:b15.roof.roof.ahu1", "leak:b15.b1.plant"):
            notice = Notice(
                subject=f"{key} needs a look", body="", priority=AlarmPriority.HIGH,
                area="b15", ts=clock.now(), roles=("duty_engineer",), key=key,
            )  # fmt: skip
            await notifier.notify(notice)
        await asyncio.wait_for(notifier.wait_idle(), 5)
        async with client_of(app_over(office, clock, notifier=notifier)) as client:
            every = (await client.get("/api/notifications")).json()
            one = await client.get("/api/notifications", params={"key": "leak:b15.b1.plant"})
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert [d["key"] for d in every] == ["leak:b15.b1.plant", "filter:b15.roof.roof.ahu1"]
    assert {(d["channel"], d["status"]) for d in every} == {("console", "sent")}
    assert [d["key"] for d in one.json()] == ["leak:b15.b1.plant"]


async def test_without_notifications_the_route_says_so(office: SiteModel) -> None:
    async with client_of(app_over(office, SimClock(T0, 1.0))) as client:
        response = await client.get("/api/notifications")
    assert_kind(response, 404, "notifications-unavailable", "no notifications file")
