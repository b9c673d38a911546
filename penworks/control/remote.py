"""The write side of connectors that run in another process, reached over the bus.

When the gateway role (the connectors) and the rules role (control) run as separate
processes, control writes through a `RemotePort`: each write, relinquish or read is a request
on `cmd.<connector>.<point>` and waits for its reply on the requester's own reply subject.
The gateway serves its connectors' ports with `PortServer`.

A command is carried out at most once, and never after its requester gave up: a request
carries when it expires (the requester's timeout, in wall time), and a gateway drops one
that comes later than that. Gateways running the same connector (an MQTT share group) take
its requests in turn, on a subscription shared by name, each acknowledged as soon as it is
taken, so none is carried out twice. A command that finds no gateway running fails within
its timeout, and is never carried out minutes later when a gateway comes back. Hosts need
their clocks in step (NTP) for the expiry to mean the same to both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final

from penworks.bus import Bus, Message, Subscription, command_subject
from penworks.bus.subjects import COMMANDS
from penworks.control.ports import WritePort
from penworks.core import (
    CommandRejected,
    ConnectorError,
    Observation,
    PenworksError,
    Value,
)

log = logging.getLogger(__name__)

_OPS: Final = ("write", "relinquish", "read")


def reply_subject(process: str) -> str:
    """Among the commands (kept briefly, as they are), under a token no connector can be named
    (connector names begin with a letter)."""
    return f"{COMMANDS}._reply.{process}"


class RemotePorts:
    """Every remote port of one process, sharing one reply subscription."""

    def __init__(self, bus: Bus, *, timeout_s: float = 10.0, process: str | None = None) -> None:
        self._bus = bus
        self._timeout_s = timeout_s
        self.process = process or uuid.uuid4().hex[:12]
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.timed_out = 0

    def port(self, connector: str) -> RemotePort:
        return RemotePort(self, connector)

    async def request(self, connector: str, point_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._listen()
        request_id = uuid.uuid4().hex
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = reply
        message = {
            **body,
            "id": request_id,
            "reply": reply_subject(self.process),
            "expires": round(time.time() + self._timeout_s, 3),
        }
        try:
            await self._bus.publish(command_subject(connector, point_id), message)
            self.sent += 1
            async with asyncio.timeout(self._timeout_s):
                return await reply
        except TimeoutError:
            self.timed_out += 1
            raise ConnectorError(
                f"no answer from connector {connector!r} within {self._timeout_s:g} s "
                "(is its gateway running?)"
            ) from None
        finally:
            self._waiting.pop(request_id, None)

    def _listen(self) -> None:
        if self._task is None:
            self._sub = self._bus.subscribe(
                reply_subject(self.process), name=f"replies-{self.process}"
            )
            self._task = asyncio.create_task(self._dispatch(self._sub), name="remote-replies")

    async def _dispatch(self, sub: Subscription) -> None:
        async for _, message in sub:
            if not isinstance(message, dict):
                continue
            waiter = self._waiting.get(str(message.get("id")))
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    async def close(self) -> None:
        if self._sub is not None:
            await self._sub.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class RemotePort:
    """A connector's WritePort, answered by the PortServer of the gateway that runs it."""

    def __init__(self, ports: RemotePorts, connector: str) -> None:
        self._ports = ports
        self.connector = connector

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        _raise_refusal(
            await self._ports.request(
                self.connector, point_id, {"op": "write", "value": value, "priority": priority}
            )
        )

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        _raise_refusal(
            await self._ports.request(
                self.connector, point_id, {"op": "relinquish", "priority": priority}
            )
        )

    async def read(self, point_id: str) -> Observation | None:
        reply = await self._ports.request(self.connector, point_id, {"op": "read"})
        _raise_refusal(reply)
        found = reply.get("observation")
        return Observation.from_json(found) if isinstance(found, dict) else None


def _raise_refusal(reply: dict[str, Any]) -> None:
    error = reply.get("error")
    if error is None:
        return
    detail = str(reply.get("detail", ""))
    if error == "rejected":
        raise CommandRejected(detail)
    raise ConnectorError(detail)


class PortServer:
    """Answers the write requests for the connectors a gateway process runs."""

    def __init__(self, bus: Bus, ports: Mapping[str, WritePort]) -> None:
        self._bus = bus
        self._ports = dict(ports)
        self.served = 0
        self.refused = 0
        self.expired = 0
        # Subscribed from the start: no request made once the server exists goes unseen.
        # Shared by name: gateways running the same connector take its requests in turn.
        self._subs = [
            bus.subscribe(f"{COMMANDS}.{name}.>", name=f"ports-{name}", durable=True)
            for name in self._ports
        ]

    async def run(self) -> None:
        subs = self._subs
        try:
            async with asyncio.TaskGroup() as tasks:
                for name, sub in zip(self._ports, subs, strict=True):
                    tasks.create_task(self._serve(name, sub), name=f"ports-{name}")
        finally:
            for sub in subs:
                await sub.close()

    async def _serve(self, name: str, sub: Subscription) -> None:
        prefix = f"{COMMANDS}.{name}."
        async with asyncio.TaskGroup() as tasks:
            async for subject, message in sub:
                # Taken is done: a request is never carried out twice, even if this process
                # dies before it answers (its requester then times out).
                await sub.ack()
                if _expired(message):
                    self.expired += 1
                    continue
                # Each request on its own task: a slow device does not hold up the others.
                tasks.create_task(self._answer(subject.removeprefix(prefix), name, message))

    async def _answer(self, point_id: str, name: str, message: Message) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("reply"), str):
            self.refused += 1
            log.warning("malformed port request for %s on %s: %r", point_id, name, message)
            return
        reply: dict[str, Any] = {"id": message.get("id")}
        try:
            reply.update(await self._carry_out(self._ports[name], point_id, message))
            self.served += 1
        except CommandRejected as exc:
            reply.update(error="rejected", detail=str(exc))
            self.refused += 1
        except PenworksError as exc:
            reply.update(error="failed", detail=str(exc))
            self.refused += 1
        await self._bus.publish(message["reply"], reply)

    @staticmethod
    async def _carry_out(port: WritePort, point_id: str, message: dict[str, Any]) -> dict[str, Any]:
        op, priority = message.get("op"), message.get("priority")
        if op not in _OPS or not (priority is None or isinstance(priority, int)):
            raise CommandRejected(f"unknown request {op!r} (priority {priority!r})")
        if op == "write":
            value = message.get("value")
            if not isinstance(value, bool | int | float | str):
                raise CommandRejected(f"a write needs a value, got {value!r}")
            await port.write(point_id, value, priority)
            return {}
        if op == "relinquish":
            await port.relinquish(point_id, priority)
            return {}
        found = await port.read(point_id)
        return {"observation": found.to_json() if found is not None else None}


def _expired(message: Message) -> bool:
    """Whether the request's requester has given up on it already."""
    if not isinstance(message, dict):
        return False
    expires = message.get("expires")
    return isinstance(expires, int | float) and time.time() > expires
