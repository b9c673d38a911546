"""The webhook and e-mail channels, one attempt each (a real server: tests/integration)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.notify_channels import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryError,
    LogChannel,
    SmtpChannel,
    WebhookChannel,
    sign,
)
from penworks.rules.notify_config import (
    LogChannelDef,
    RecipientDef,
    SmtpChannelDef,
    WebhookChannelDef,
)
from penworks.rules.notify_events import Message, MessageKind, alarm_message
from tests.unit.rules.notify_support import T0, SteppingClock, raised

LI = RecipientDef(id="li.wei", name="李伟", email="li.wei@b15.example", roles=["duty_engineer"])
CHEN = RecipientDef(id="chen.jie", name="Chen Jie")
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOOK = WebhookChannelDef(
    id="hook", type="webhook", url="http://ops.example/hook", headers={"X-Team": "ops"}
)


def message() -> Message:
    return alarm_message(raised(message="三楼温度过高"), MessageKind.ALARM, SHANGHAI)


async def test_the_webhook_posts_the_alarm_as_json_with_a_signature() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    clock = SteppingClock(T0 + timedelta(seconds=30))
    channel = WebhookChannel(HOOK, clock, secret="s3cret", transport=httpx.MockTransport(answer))
    sent = message()
    assert await channel.send(sent, [LI]) == "HTTP 204"
    await channel.close()
    [request] = seen
    body = json.loads(request.content)
    assert body["kind"] == "alarm"
    assert body["priority"] == "high"
    assert body["priority_level"] == 2
    assert body["alarm"]["id"] == "zone_too_warm:b15.f3.r301.zone_air_temp"
    assert body["alarm"]["value"] == 29.5
    assert body["alarm"]["state"] == "unack_active"
    assert body["subject"] == "[HIGH] b15.f3: 三楼温度过高"
    assert body["recipients"] == [
        {"id": "li.wei", "name": "李伟", "email": "li.wei@b15.example", "roles": ["duty_engineer"]}
    ]
    assert request.headers["X-Team"] == "ops"
    assert request.headers[DELIVERY_HEADER] == sent.id
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert timestamp == str(int((T0 + timedelta(seconds=30)).timestamp()))
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request.content, hashlib.sha256)
    assert request.headers[SIGNATURE_HEADER] == "sha256=" + expected.hexdigest()
    assert sign("s3cret", timestamp, request.content) == request.headers[SIGNATURE_HEADER]


async def test_without_a_secret_nothing_is_signed() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    channel = WebhookChannel(HOOK, SteppingClock(), transport=httpx.MockTransport(answer))
    await channel.send(message(), [])
    await channel.close()
    assert SIGNATURE_HEADER not in seen[0].headers
    assert json.loads(seen[0].content)["recipients"] == []


@pytest.mark.parametrize(
    ("status", "permanent"), [(500, False), (503, False), (429, False), (404, True), (401, True)]
)
async def test_http_errors_say_whether_trying_again_can_help(status: int, permanent: bool) -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(status, text="nope"))
    channel = WebhookChannel(HOOK, SteppingClock(), transport=transport)
    with pytest.raises(DeliveryError, match=f"HTTP {status}: nope") as caught:
        await channel.send(message(), [LI])
    await channel.close()
    assert caught.value.permanent is permanent


async def test_a_connection_failure_is_a_delivery_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    channel = WebhookChannel(HOOK, SteppingClock(), transport=httpx.MockTransport(refuse))
    with pytest.raises(DeliveryError, match="ConnectError: connection refused") as caught:
        await channel.send(message(), [LI])
    await channel.close()
    assert not caught.value.permanent


def smtp() -> SmtpChannel:
    return SmtpChannel(
        SmtpChannelDef(id="mail", type="smtp", host="127.0.0.1", sender="penworks@b15.example")
    )


def test_the_email_carries_subject_recipients_and_body_in_utf8() -> None:
    sent = message()
    email = smtp().email(sent, [LI])
    assert email["Subject"] == "[HIGH] b15.f3: 三楼温度过高"
    assert "li.wei@b15.example" in email["To"]
    assert email["From"] == "penworks@b15.example"
    assert email["X-Penworks-Priority"] == "high"
    assert email[DELIVERY_HEADER] == sent.id
    text = email.as_bytes()
    assert b"=?utf-8?" in text  # the subject is encoded for the wire
    content = email.get_content()
    assert "三楼温度过高" in content
    assert "Priority: high" in content


async def test_email_without_any_address_fails_for_good() -> None:
    notice = Message(MessageKind.NOTICE, "s", "b", AlarmPriority.LOW, "b15", "k", T0)
    with pytest.raises(DeliveryError, match="no recipient has an e-mail address") as caught:
        await smtp().send(notice, [CHEN])
    assert caught.value.permanent


async def test_the_log_channel_writes_one_line_naming_priority_recipients_and_subject(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = LogChannel(LogChannelDef(id="console", type="log", level="error"))
    with caplog.at_level("INFO", logger="penworks.notifications"):
        outcome = await channel.send(message(), [LI, CHEN])
    (record,) = caplog.records
    assert record.levelname == "ERROR"
    assert record.getMessage() == "ALARM [high] to li.wei, chen.jie: [HIGH] b15.f3: 三楼温度过高"
    assert outcome == "logged for li.wei, chen.jie"
    assert not channel.needs_address  # people without an e-mail address are reached too
