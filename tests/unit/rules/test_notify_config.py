"""The notifications file: what it accepts, and how it refuses mistakes (file, line, reason)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import penworks.rules.notify_config as notify_config
from penworks.core import ConfigError
from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.notify import Notifier, load_notification_config
from penworks.rules.notify_channels import SmtpChannel, WebhookChannel, build_channels
from penworks.store import MemoryJournal
from tests.unit.rules.notify_support import SteppingClock

GOOD = """\
channels:
  - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook", secret_env: HOOK_SECRET}
  - {id: mail, type: smtp, host: 127.0.0.1, port: 2525, sender: penworks@b15.example}
recipients:
  - {id: li.wei, name: 李伟, email: li.wei@b15.example, roles: [duty_engineer], areas: [b15.f3]}
routes:
  - id: urgent
    match: {priority_at_most: high}
    to: {roles: [duty_engineer]}
    channels: [hook, mail]
    escalation:
      steps:
        - {after: 15m, to: {recipients: [li.wei]}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "notifications.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    cfg = load_notification_config(write(tmp_path, GOOD))
    assert [c.id for c in cfg.channels] == ["hook", "mail"]
    assert cfg.routes[0].match.priority_at_most is AlarmPriority.HIGH
    assert cfg.routes[0].escalation is not None
    assert cfg.routes[0].escalation.steps[0].after.total_seconds() == 900
    assert cfg.recipients[0].name == "李伟"


def test_the_example_in_the_module_text_loads(tmp_path: Path) -> None:
    doc = notify_config.__doc__ or ""
    example = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert example is not None
    cfg = load_notification_config(write(tmp_path, example.group(1)))
    assert cfg.quiet is not None
    assert cfg.quiet.allow_priority_at_most is AlarmPriority.HIGH


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("channels: [hook, mail]", "channels: [hook, sms]"), 7, "unknown channel 'sms'"),
        (("roles: [duty_engineer]}", "roles: [duty_enginer]}"), 7, "no recipient has role"),
        (("recipients: [li.wei]", "recipients: [li.wie]"), 7, "unknown recipient 'li.wie'"),
        (("priority_at_most: high", "priority_at_most: urgent"), 8, "not an alarm priority"),
        (("after: 15m", "after: soon"), 13, "not a duration"),
        (("email: li.wei@b15.example", "email: li.wei"), 5, "not an e-mail address"),
        (("port: 2525", "port: 2525, starttls: true, tls: true"), 3, "starttls or tls"),
        (("port: 2525", "port: 2525, username: pw"), 3, "needs both username and password_env"),
        (('url: "http://127.0.0.1:9/hook"', "url: ftp://x"), 2, "should match pattern"),
        (("type: webhook", "type: pager"), 2, "does not match any of the expected tags"),
    ],
)
def test_mistakes_are_refused_with_their_line(
    tmp_path: Path, change: tuple[str, str], line: int, reason: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ConfigError) as caught:
        load_notification_config(write(tmp_path, text))
    message = str(caught.value)
    assert f"notifications.yaml:{line}:" in message
    assert reason in message


def test_steps_must_come_in_time_order(tmp_path: Path) -> None:
    text = GOOD + "        - {after: 10m, to: {roles: [duty_engineer]}}\n"
    with pytest.raises(ConfigError, match="increasing times"):
        load_notification_config(write(tmp_path, text))


def test_ids_given_twice_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace("recipients:\n", "recipients:\n  - {id: li.wei, name: Li Wei}\n")
    with pytest.raises(ConfigError, match="ids given more than once: li.wei"):
        load_notification_config(write(tmp_path, text))


async def test_channels_are_built_with_their_secrets_from_the_environment(tmp_path: Path) -> None:
    cfg = load_notification_config(write(tmp_path, GOOD))
    clock = SteppingClock()
    channels = build_channels(cfg, clock, {"HOOK_SECRET": "s3cret"})
    assert isinstance(channels["hook"], WebhookChannel)
    assert isinstance(channels["mail"], SmtpChannel)
    for channel in channels.values():
        await channel.close()
    with pytest.raises(ConfigError, match="environment variable HOOK_SECRET is unset"):
        Notifier(clock, MemoryJournal(), cfg, env={})
