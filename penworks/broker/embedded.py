"""EmbeddedBroker: the in-process MQTT broker (amqtt) of the one-process configuration.

TCP only, anonymous clients allowed, no $SYS topics, and plugins named explicitly: amqtt's
defaults load the $SYS plugin and entry-point plugins, each of which raises a
DeprecationWarning in amqtt 0.12.

amqtt 0.12.1 also leaves things behind that this module tidies up. The socket of a client that
connects but never sends CONNECT (a port probe, a health check) is never closed, and its handler
waits for that CONNECT forever, past the broker's shutdown. And its shutdown can hang: it cancels
each client's reader and waits for it, but on Python 3.11 a cancel that lands as a packet
arrives is lost in ``asyncio.wait_for``, and the reader then waits on a client that waits too.
So stop() first hangs up on every client (their readers end at end of stream), then shuts down.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

from amqtt.broker import Broker
from amqtt.errors import BrokerError

from penworks.core import PenworksError

_LISTENER = "default"
_PLUGINS = {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}
_NOISY_LOGGERS = ("amqtt", "transitions")  # amqtt logs every connection at INFO


class _TidyBroker(Broker):  # type: ignore[misc]  # amqtt ships no type information
    """amqtt's Broker that closes every socket it accepted and hangs up on silent clients."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._clients: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients[task] = writer
        try:
            await super().stream_connected(reader, writer, listener_name)
        finally:
            del self._clients[task]
            writer.close()  # a no-op where amqtt closed it already

    def hang_up(self) -> None:
        """Drop every client connection; amqtt's handlers then end at end of stream."""
        for writer in self._clients.values():
            writer.transport.abort()

    async def wait_handlers(self, grace_s: float = 5.0) -> None:
        """Wait for the connection handlers to end; cancel any still running after grace_s."""
        handlers = list(self._clients)
        if handlers:
            _, stuck = await asyncio.wait(handlers, timeout=grace_s)
            for task in stuck:
                task.cancel()


class BrokerStartError(PenworksError):
    """The embedded broker could not start (the port is taken, the address is wrong, ...)."""


class EmbeddedBroker:
    """An amqtt broker listening on host:port (port 0 picks a free one) while the context is open.

    ``quiet`` raises amqtt's loggers to WARNING unless the application already set their level.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {port}")
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._quiet = quiet
        self._broker: _TidyBroker | None = None

    @property
    def port(self) -> int:
        """The port it listens on; known once started."""
        if self._port is None:
            raise PenworksError("the embedded broker is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._broker is not None

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start listening; returns once the listener accepts connections."""
        if self._broker is not None:
            raise PenworksError("the embedded broker is already running")
        if self._quiet:
            _quiet_logging()
        broker = _TidyBroker(self._config())
        try:
            await broker.start()
        except BrokerError as exc:  # amqtt wraps OSError and the like in it
            raise BrokerStartError(
                f"embedded MQTT broker could not listen on {self.host}:{self._requested_port}: "
                f"{exc}"
            ) from exc
        self._broker = broker
        try:
            self._port = _listening_port(broker)
        except BrokerStartError:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Disconnect every client and close the listener; nothing of it keeps running."""
        broker, self._broker = self._broker, None
        if broker is not None:
            broker.hang_up()
            await broker.shutdown()
            await broker.wait_handlers()

    def _config(self) -> dict[str, Any]:
        return {
            "listeners": {
                _LISTENER: {"type": "tcp", "bind": f"{self.host}:{self._requested_port}"},
            },
            "plugins": dict(_PLUGINS),
        }


def _listening_port(broker: _TidyBroker) -> int:
    """The port the listener really took (the one asked for, or the free one port 0 found)."""
    server = broker._servers[_LISTENER].instance  # amqtt exposes no public accessor
    if not server.is_serving():
        raise BrokerStartError("embedded MQTT broker started but is not accepting connections")
    return int(server.sockets[0].getsockname()[1])


def _quiet_logging() -> None:
    for name in _NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
