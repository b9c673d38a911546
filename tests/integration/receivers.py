"""Real receivers of notifications for tests: an SMTP server (aiosmtpd) and an HTTP webhook
receiver on asyncio streams, both on free ports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port

# --- a real SMTP server ------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


# --- a real HTTP webhook receiver ----------------------------------------------------------


@dataclass
class Receiver:
    """An HTTP/1.1 server on asyncio streams; answers 503 to the first `fail_first` POSTs."""

    fail_first: int = 0
    requests: list[tuple[str, dict[str, str], bytes, int]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
        if not head:
            return False
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        status = 503 if len(self.requests) < self.fail_first else 200
        self.requests.append((request_line, headers, body, status))
        reason = "Service Unavailable" if status == 503 else "OK"
        text = b"busy" if status == 503 else b"ok"
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(text)}\r\n"
            "Content-Type: text/plain\r\n\r\n".encode()
            + text
        )
        await writer.drain()
        return True


@contextlib.asynccontextmanager
async def receiver(fail_first: int = 0) -> AsyncIterator[Receiver]:
    state = Receiver(fail_first)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await state.handle(reader, writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()
