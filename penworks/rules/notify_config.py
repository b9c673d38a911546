"""The notifications file: channels, recipients, routes, escalation, quiet hours and retries.

```yaml
channels:
  - {id: ops_hook, type: webhook, url: "https://ops.example.com/hooks/penworks",
     secret_env: PENWORKS_HOOK_SECRET}
  - {id: mail, type: smtp, host: smtp.example.com, port: 587, sender: penworks@example.com,
     starttls: true, username: penworks, password_env: PENWORKS_SMTP_PASSWORD}
recipients:
  - {id: li.wei, name: Li Wei, email: li.wei@example.com, roles: [duty_engineer], areas: [b15]}
  - {id: zhang.min, name: Zhang Min, email: zhang.min@example.com, roles: [facility_manager]}
routes:
  - id: urgent
    match: {priority_at_most: high}
    to: {roles: [duty_engineer]}
    channels: [mail, ops_hook]
    on_return: true
    escalation:
      steps:
        - {after: 15m, to: {roles: [facility_manager]}}
      repeat_every: 1h
      repeat_times: 3
quiet:
  weekly: {daily: ["00:00-07:00", "22:00-24:00"]}
  allow_priority_at_most: high
```
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from penworks.core.durations import parse_duration
from penworks.core.repeats import repeated
from penworks.model.schema import FULL_ID, LOCAL_ID, Strict
from penworks.rules.alarm_types import AlarmPriority, parse_priority
from penworks.rules.schedules_config import WeeklyDef

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Priority = Annotated[AlarmPriority, BeforeValidator(parse_priority)]
PERSON_ID = r"^[a-z][a-z0-9_.\-]*$"
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_ENV = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _email(value: str) -> str:
    if _EMAIL.match(value) is None:
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Email = Annotated[str, BeforeValidator(_email)]


class WebhookChannelDef(Strict):
    """An HTTP endpoint that receives a JSON POST per notification."""

    id: str = Field(pattern=LOCAL_ID, description="Channel id, named by routes")
    type: Literal["webhook"] = Field(description="webhook")
    url: str = Field(pattern=r"^https?://\S+$", description="URL the JSON is POSTed to")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers")
    secret_env: str | None = Field(
        None,
        pattern=_ENV,
        description="Environment variable holding the HMAC-SHA256 secret; when set, each "
        "POST carries X-Penworks-Timestamp and X-Penworks-Signature: sha256=<hex> of "
        "'<timestamp>.<body>'",
    )
    timeout: Duration = Field(timedelta(seconds=5), description="Time for one attempt")


class SmtpChannelDef(Strict):
    """An SMTP server that sends one e-mail per notification to its recipients."""

    id: str = Field(pattern=LOCAL_ID, description="Channel id, named by routes")
    type: Literal["smtp"] = Field(description="smtp")
    host: str = Field(min_length=1, description="SMTP server host")
    port: int = Field(25, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS)")
    sender: Email = Field(description="From address")
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS")
    tls: bool = Field(False, description="Connect with TLS from the start (port 465)")
    username: str | None = Field(None, description="Login name; no login when omitted")
    password_env: str | None = Field(
        None, pattern=_ENV, description="Environment variable holding the login password"
    )
    timeout: Duration = Field(timedelta(seconds=10), description="Time for one attempt")

    @model_validator(mode="after")
    def _security(self) -> SmtpChannelDef:
        if self.starttls and self.tls:
            raise ValueError(f"{self.id}: give starttls or tls, not both")
        if (self.username is None) != (self.password_env is None):
            raise ValueError(f"{self.id}: a login needs both username and password_env")
        return self


class LogChannelDef(Strict):
    """The platform's own log: each notification as one line (a console, a log shipper)."""

    id: str = Field(pattern=LOCAL_ID, description="Channel id, named by routes")
    type: Literal["log"] = Field(description="log")
    level: Literal["info", "warning", "error"] = Field(
        "warning", description="Log level of the lines"
    )


ChannelDef = Annotated[
    WebhookChannelDef | SmtpChannelDef | LogChannelDef, Field(discriminator="type")
]


class RecipientDef(Strict):
    """A person (or a team mailbox) who receives notifications."""

    id: str = Field(pattern=PERSON_ID, description="Recipient id, e.g. li.wei")
    name: str = Field(min_length=1, description="Name shown in messages")
    email: Email | None = Field(None, description="E-mail address (needed by smtp channels)")
    roles: list[str] = Field(default_factory=list, description="Roles, e.g. duty_engineer")
    areas: list[Annotated[str, Field(pattern=FULL_ID)]] = Field(
        default_factory=list,
        description="Entity id prefixes they cover (b15, b15.f3); every area when empty",
    )


class TargetsDef(Strict):
    """Who receives: everyone with one of the roles (in the area), and named recipients."""

    roles: list[str] = Field(default_factory=list, description="Roles (area-filtered)")
    recipients: list[str] = Field(default_factory=list, description="Recipient ids (always)")


class MatchDef(Strict):
    """Which alarms and notices a route takes; every given condition must hold."""

    priority_at_most: Priority | None = Field(
        None, description="Least urgent priority taken: high takes critical and high"
    )
    areas: list[Annotated[str, Field(pattern=FULL_ID)]] = Field(
        default_factory=list, description="Area prefixes (b15.f3); any area when empty"
    )
    rules: list[str] = Field(
        default_factory=list, description="Rule id patterns (zone_*); any rule when empty"
    )
    alarms: list[str] = Field(
        default_factory=list,
        description="Alarm id (or notice key) patterns, e.g. 'fire_*:b15.f3.*'; any when empty",
    )


class EscalationStepDef(Strict):
    """Who else is told when an alarm is still unacknowledged `after` its annunciation."""

    after: Duration = Field(description="Time since annunciation, e.g. 15m")
    to: TargetsDef = Field(description="Who is told at this step")
    channels: list[str] = Field(
        default_factory=list, description="Channels of this step (the route's when empty)"
    )

    @field_validator("after")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("an escalation step comes some time after the annunciation")
        return value


class EscalationDef(Strict):
    """Steps while an alarm stays unacknowledged; stopped by ack, shelving or return."""

    steps: list[EscalationStepDef] = Field(min_length=1, description="Steps, in time order")
    repeat_every: Duration | None = Field(
        None, description="Repeat the last step this often while still unacknowledged"
    )
    repeat_times: int = Field(0, ge=0, le=100, description="How many repeats at most")

    @model_validator(mode="after")
    def _ordered(self) -> EscalationDef:
        times = [s.after for s in self.steps]
        if times != sorted(set(times)):
            raise ValueError("escalation steps must come at increasing times after annunciation")
        if self.repeat_times and (self.repeat_every is None or self.repeat_every <= timedelta(0)):
            raise ValueError("repeat_times needs a repeat_every above zero")
        return self


class RouteDef(Strict):
    """Alarms and notices that match go to these people through these channels."""

    id: str = Field(pattern=LOCAL_ID, description="Route id, shown in the delivery records")
    match: MatchDef = Field(default_factory=MatchDef, description="What the route takes")
    to: TargetsDef = Field(description="Who is told")
    channels: list[str] = Field(min_length=1, description="Channel ids")
    on_return: bool = Field(False, description="Also tell them when the alarm returns to normal")
    escalation: EscalationDef | None = Field(None, description="Escalation when unacknowledged")


class QuietDef(Strict):
    """Hours when less urgent notifications wait until the quiet hours end."""

    weekly: WeeklyDef = Field(description="Quiet periods per weekday, like a schedule's")
    allow_priority_at_most: Priority = Field(
        AlarmPriority.CRITICAL, description="These priorities and more urgent ones go through"
    )


class RetryDef(Strict):
    """How failed deliveries are tried again: backoff doubling up to a maximum."""

    attempts: int = Field(4, ge=1, le=20, description="Attempts in all, the first included")
    backoff: Duration = Field(timedelta(seconds=5), description="Wait before the second attempt")
    max_backoff: Duration = Field(timedelta(minutes=5), description="Longest wait between tries")


class NotificationConfig(Strict):
    """The notifications file."""

    timezone: str | None = Field(
        None, description="Zone of quiet hours and of times in messages (default: the platform's)"
    )
    channels: list[ChannelDef] = Field(default_factory=list, description="Delivery channels")
    recipients: list[RecipientDef] = Field(default_factory=list, description="People")
    routes: list[RouteDef] = Field(default_factory=list, description="Routing, all that match")
    notice_channels: list[str] | None = Field(
        None, description="Channels of rule notices that name roles but no channels (default all)"
    )
    quiet: QuietDef | None = Field(None, description="Quiet hours (none when omitted)")
    retry: RetryDef = Field(default_factory=RetryDef, description="Retries of failed deliveries")

    @field_validator("channels", "recipients")
    @classmethod
    def _unique(cls, items: list[ChannelDef] | list[RecipientDef]) -> list[Any]:
        if twice := repeated(item.id for item in items):
            raise ValueError(f"ids given more than once: {', '.join(twice)}")
        return items

    @field_validator("routes")
    @classmethod
    def _route_references(cls, routes: list[RouteDef], info: ValidationInfo) -> list[RouteDef]:
        if twice := repeated(r.id for r in routes):
            raise ValueError(f"route ids given more than once: {', '.join(twice)}")
        channels = {c.id for c in info.data.get("channels", ())}
        recipients = info.data.get("recipients", ())
        people = {r.id for r in recipients}
        roles = {role for r in recipients for role in r.roles}
        problems = []
        for where, targets, used in _uses(routes):
            problems += [f"{where}: unknown channel {c!r}" for c in used if c not in channels]
            problems += [
                f"{where}: unknown recipient {p!r}" for p in targets.recipients if p not in people
            ]
            problems += [
                f"{where}: no recipient has role {r!r}" for r in targets.roles if r not in roles
            ]
        if problems:
            raise ValueError("; ".join(problems))
        return routes

    @field_validator("notice_channels")
    @classmethod
    def _notice_channels(cls, used: list[str] | None, info: ValidationInfo) -> list[str] | None:
        channels = {c.id for c in info.data.get("channels", ())}
        if unknown := [c for c in used or () if c not in channels]:
            raise ValueError(f"unknown channels: {', '.join(unknown)}")
        return used


def _uses(routes: list[RouteDef]) -> list[tuple[str, TargetsDef, list[str]]]:
    uses = []
    for route in routes:
        uses.append((f"route {route.id}", route.to, route.channels))
        for n, step in enumerate(route.escalation.steps if route.escalation else (), 1):
            uses.append((f"route {route.id} escalation step {n}", step.to, step.channels))
    return uses
