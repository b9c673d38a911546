"""Notifications over the wire: a real SMTP server (aiosmtpd) and a real HTTP webhook receiver,
both started by the test on free ports, with a receiver that fails before it succeeds."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from penworks.core import SimClock
from penworks.rules.alarm_types import AlarmPriority, AlarmState
from penworks.rules.notify import Notifier
from penworks.rules.notify_config import NotificationConfig
from penworks.rules.notify_events import AlarmEvent
from penworks.store import JournalRecord, MemoryJournal
from tests.conftest import free_port
from tests.integration.receivers import Mailbox, receiver

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SECRET = "b15-hook-secret"
ALARM = "zone_too_warm:b15.f3.r301.zone_air_temp"


# --- the notifier between them -------------------------------------------------------------


def config(smtp_port: int, hook_port: int) -> NotificationConfig:
    return NotificationConfig.model_validate(
        {
            "channels": [
                {"id": "mail", "type": "smtp", "host": "127.0.0.1", "port": smtp_port,
                 "sender": "penworks@b15.example", "timeout": "5s"},
                {"id": "hook", "type": "webhook", "url": f"http://127.0.0.1:{hook_port}/alarms",
                 "secret_env": "HOOK_SECRET", "headers": {"X-Site": "b15"}, "timeout": "5s"},
            ],
            "recipients": [
                {"id": "li.wei", "name": "李伟", "email": "li.wei@b15.example",
                 "roles": ["duty_engineer"]},
                {"id": "zhang.min", "name": "Zhang Min", "email": "zhang.min@b15.example",
                 "roles": ["duty_engineer"]},
            ],
            "routes": [
                {"id": "urgent", "match": {"priority_at_most": "high"},
                 "to": {"roles": ["duty_engineer"]}, "channels": ["mail", "hook"]},
            ],
            "retry": {"attempts": 3, "backoff": "2s"},
        }
    )  # fmt: skip


def annunciation() -> AlarmEvent:
    return AlarmEvent(
        ALARM, "zone_too_warm", "b15.f3.r301.zone_air_temp", "b15.f3", AlarmPriority.HIGH,
        "三楼 301 室温度过高", AlarmState.NORMAL, AlarmState.UNACK_ACTIVE, T0, None, 29.5,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def notifier(cfg: NotificationConfig) -> AsyncIterator[tuple[Notifier, MemoryJournal]]:
    journal = MemoryJournal()
    # Simulated time at 100x: the retry backoff of 2 s passes in 20 ms.
    running = Notifier(SimClock(T0, speed=100), journal, cfg, env={"HOOK_SECRET": SECRET})
    events: asyncio.Queue[AlarmEvent] = asyncio.Queue()

    async def feed() -> AsyncIterator[AlarmEvent]:
        while True:
            yield await events.get()

    task = asyncio.create_task(running.run(feed()))
    await events.put(annunciation())
    try:
        yield running, journal
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await running.close()


async def delivered(notifier: Notifier, sent: int) -> None:
    async with asyncio.timeout(10):
        while notifier.stats()["sent"] + notifier.stats()["failed"] < sent:  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # no event marks the queue's first pick-up
        await notifier.wait_idle()


async def records(journal: MemoryJournal, channel: str) -> list[JournalRecord]:
    found = await journal.query("notification", key=ALARM, newest_first=False)
    return [r for r in found if r.data["channel"] == channel]


async def test_an_alarm_is_mailed_and_posted_over_real_servers(
    smtp_server: tuple[Mailbox, int],
) -> None:
    mailbox, smtp_port = smtp_server
    async with receiver() as hook, notifier(config(smtp_port, hook.port)) as (running, journal):
        await delivered(running, 2)

        [(sender, rcpt, email)] = mailbox.messages
        assert sender == "penworks@b15.example"
        assert rcpt == ["li.wei@b15.example", "zhang.min@b15.example"]
        assert email["Subject"] == "[HIGH] b15.f3: 三楼 301 室温度过高"
        assert "li.wei@b15.example" in email["To"]
        assert "李伟" in str(email["To"])
        body = email.get_content()
        assert ALARM in body
        assert "Time:     2026-03-02 10:00:00 +0800" in body

        [(request_line, headers, raw, status)] = hook.requests
        assert request_line == "POST /alarms HTTP/1.1"
        assert status == 200
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert headers["x-site"] == "b15"
        payload = json.loads(raw)
        assert payload["alarm"]["id"] == ALARM
        assert payload["alarm"]["value"] == 29.5
        assert payload["subject"] == "[HIGH] b15.f3: 三楼 301 室温度过高"
        assert [r["id"] for r in payload["recipients"]] == ["li.wei", "zhang.min"]
        signed = headers["x-penworks-timestamp"].encode() + b"." + raw
        expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert headers["x-penworks-signature"] == f"sha256={expected}"

        mail_records = await records(journal, "mail")
        assert [(r.data["status"], r.data["attempt"]) for r in mail_records] == [("sent", 1)]
        assert mail_records[0].data["detail"] == "accepted for 2 of 2"
        assert [r.data["detail"] for r in await records(journal, "hook")] == ["HTTP 200"]


async def test_a_receiver_that_fails_first_gets_the_retry(
    smtp_server: tuple[Mailbox, int],
) -> None:
    _, smtp_port = smtp_server
    async with (
        receiver(fail_first=1) as hook,
        notifier(config(smtp_port, hook.port)) as (running, journal),
    ):
        await delivered(running, 2)
        assert [status for *_, status in hook.requests] == [503, 200]
        ids = {headers["x-penworks-delivery"] for _, headers, _, _ in hook.requests}
        assert len(ids) == 1  # the same delivery id: the receiver can drop a duplicate
        hook_records = await records(journal, "hook")
        assert [(r.data["status"], r.data["attempt"]) for r in hook_records] == [
            ("retrying", 1),
            ("sent", 2),
        ]
        assert hook_records[0].data["error"] == "HTTP 503: busy"
        assert running.stats()["failed_attempts"] == 1


async def test_a_mail_server_that_is_down_costs_only_its_own_deliveries() -> None:
    async with receiver() as hook, notifier(config(free_port(), hook.port)) as (running, journal):
        await delivered(running, 2)
        assert [status for *_, status in hook.requests] == [200]
        mail = await records(journal, "mail")
        assert [(r.data["status"], r.data["attempt"]) for r in mail] == [
            ("retrying", 1),
            ("retrying", 2),
            ("failed", 3),
        ]
        assert "ConnectionRefusedError" in mail[-1].data["error"]
        assert running.stats()["failed"] == 1
