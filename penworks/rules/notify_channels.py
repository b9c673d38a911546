"""Delivery channels: a webhook (JSON over HTTP POST), e-mail (SMTP) and the log.

A channel makes one attempt per call to `send`; the notifier retries. A failure raises
DeliveryError, marked permanent when trying again cannot help (HTTP 4xx, a refused login).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any, Protocol

import httpx

from penworks.core import Clock, ConfigError, PenworksError
from penworks.rules.notify_config import (
    LogChannelDef,
    NotificationConfig,
    RecipientDef,
    SmtpChannelDef,
    WebhookChannelDef,
)
from penworks.rules.notify_events import Message

SIGNATURE_HEADER = "X-Penworks-Signature"
TIMESTAMP_HEADER = "X-Penworks-Timestamp"
DELIVERY_HEADER = "X-Penworks-Delivery"
_RETRYABLE_4XX = frozenset({408, 425, 429})
_LOG = logging.getLogger("penworks.notifications")


class DeliveryError(PenworksError):
    """One delivery attempt failed; `permanent` when another attempt cannot succeed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """Where notifications go out."""

    id: str
    needs_address: bool  # True: only recipients with an e-mail address can be reached

    async def send(self, message: Message, recipients: Sequence[RecipientDef]) -> str:
        """Deliver once; a short description of the outcome, or DeliveryError."""
        ...

    async def close(self) -> None: ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of b'<timestamp>.' + body>."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _recipient_json(recipient: RecipientDef) -> dict[str, Any]:
    return {
        "id": recipient.id,
        "name": recipient.name,
        "email": recipient.email,
        "roles": list(recipient.roles),
    }


class WebhookChannel:
    """POSTs each message as JSON; signs it when a secret is set."""

    needs_address = False

    def __init__(
        self,
        spec: WebhookChannelDef,
        clock: Clock,
        *,
        secret: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.id = spec.id
        self._spec = spec
        self._clock = clock
        self._secret = secret
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(spec.timeout.total_seconds()), transport=transport
        )

    def payload(self, message: Message, recipients: Sequence[RecipientDef]) -> bytes:
        body = message.to_json() | {
            "channel": self.id,
            "recipients": [_recipient_json(r) for r in recipients],
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, message: Message, recipients: Sequence[RecipientDef]) -> str:
        body = self.payload(message, recipients)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "penworks-notifier",
            DELIVERY_HEADER: message.id,
            **self._spec.headers,
        }
        if self._secret:
            timestamp = str(int(self._clock.now().timestamp()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        try:
            response = await self._client.post(self._spec.url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if response.is_success:
            return f"HTTP {response.status_code}"
        status = response.status_code
        permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
        raise DeliveryError(f"HTTP {status}: {response.text[:200]}", permanent=permanent)

    async def close(self) -> None:
        await self._client.aclose()


class SmtpChannel:
    """Sends one e-mail per message to the recipients that have an address."""

    needs_address = True

    def __init__(self, spec: SmtpChannelDef, *, password: str | None = None) -> None:
        self.id = spec.id
        self._spec = spec
        self._password = password

    def email(self, message: Message, recipients: Sequence[RecipientDef]) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self._spec.sender
        email["To"] = ", ".join(formataddr((r.name, r.email or "")) for r in recipients)
        email["Date"] = format_datetime(message.ts)
        email["Message-ID"] = make_msgid(domain=self._spec.sender.rsplit("@", 1)[-1])
        email["X-Penworks-Key"] = message.key
        email["X-Penworks-Priority"] = message.priority.name.lower()
        email[DELIVERY_HEADER] = message.id
        email.set_content(message.body)  # utf-8 when the text needs it
        return email

    async def send(self, message: Message, recipients: Sequence[RecipientDef]) -> str:
        addresses = [r.email for r in recipients if r.email]
        if not addresses:
            raise DeliveryError("no recipient has an e-mail address", permanent=True)
        email = self.email(message, [r for r in recipients if r.email])
        try:
            refused = await asyncio.to_thread(self._send_blocking, email, addresses)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                f"every recipient refused: {exc.recipients}", permanent=True
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"login refused: {exc.smtp_code}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        sent = len(addresses) - len(refused)
        detail = f"accepted for {sent} of {len(addresses)}"
        return detail + (f"; refused {', '.join(sorted(refused))}" if refused else "")

    def _send_blocking(self, email: EmailMessage, addresses: list[str]) -> dict[str, Any]:
        spec = self._spec
        timeout = spec.timeout.total_seconds()
        smtp: smtplib.SMTP
        if spec.tls:
            smtp = smtplib.SMTP_SSL(
                spec.host, spec.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(spec.host, spec.port, timeout=timeout)
        with smtp:
            if spec.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if spec.username is not None:
                smtp.login(spec.username, self._password or "")
            return dict(smtp.send_message(email, from_addr=spec.sender, to_addrs=addresses))

    async def close(self) -> None:
        return None


class LogChannel:
    """Notifications as lines of the platform's log (logger penworks.notifications)."""

    needs_address = False

    def __init__(self, spec: LogChannelDef) -> None:
        self.id = spec.id
        self._level = logging.getLevelName(spec.level.upper())

    async def send(self, message: Message, recipients: Sequence[RecipientDef]) -> str:
        who = ", ".join(r.id for r in recipients) or "nobody"
        kind, priority = message.kind.value.upper(), message.priority.name.lower()
        _LOG.log(self._level, "%s [%s] to %s: %s", kind, priority, who, message.subject)
        return f"logged for {who}"

    async def close(self) -> None:
        return None


def build_channels(
    config: NotificationConfig, clock: Clock, env: Mapping[str, str]
) -> dict[str, Channel]:
    """The channels of a notifications file; ConfigError when a secret's variable is unset."""
    channels: dict[str, Channel] = {}
    for spec in config.channels:
        if isinstance(spec, WebhookChannelDef):
            secret = _from_env(env, spec.secret_env, spec.id)
            channels[spec.id] = WebhookChannel(spec, clock, secret=secret)
        elif isinstance(spec, LogChannelDef):
            channels[spec.id] = LogChannel(spec)
        else:
            password = _from_env(env, spec.password_env, spec.id)
            channels[spec.id] = SmtpChannel(spec, password=password)
    return channels


def _from_env(env: Mapping[str, str], name: str | None, channel: str) -> str | None:
    if name is None:
        return None
    value = env.get(name)
    if not value:
        raise ConfigError(f"notification channel {channel}: environment variable {name} is unset")
    return value
