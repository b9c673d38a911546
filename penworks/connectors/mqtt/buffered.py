"""Reading an MQTT connection in large chunks, and handing its messages over directly.

paho reads each packet with several tiny `recv` calls (the fixed header a byte at a time,
then the rest), and aiomqtt reads one packet each time the socket is readable. A busy
subscription so costs an event-loop pass and about four system calls per message. A socket
that takes what the kernel holds in one call, and says how much it still holds (as an SSL
socket does with `pending()`), lets aiomqtt's reader take every buffered packet in one pass.

Each message then went through paho's per-filter callback matching (a walk of a topic tree
that holds nothing here, under two locks) and aiomqtt's re-validation of its topic, which
together cost more than reading the packet. A reading client hands each message to its
inbox as a `Received` instead.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Iterable
from typing import Any, NamedTuple, cast

import aiomqtt
from paho.mqtt.client import MQTTMessage

CHUNK_BYTES = 256 * 1024


class BufferedSocket:
    """A non-blocking TCP socket whose `recv` is served from one large read at a time."""

    __slots__ = ("_data", "_pos", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._data = b""
        self._pos = 0

    def recv(self, bufsize: int) -> bytes:
        """Up to bufsize bytes; BlockingIOError when nothing is there, b"" at end of stream."""
        if self._pos >= len(self._data):
            self._data = self._sock.recv(max(bufsize, CHUNK_BYTES))
            self._pos = 0
        start = self._pos
        self._pos = min(start + bufsize, len(self._data))
        return self._data[start : self._pos]

    def pending(self) -> int:
        """Bytes read from the kernel and not yet taken."""
        return len(self._data) - self._pos

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)  # send, fileno, setblocking, close, ...


def read_in_chunks(client: aiomqtt.Client) -> aiomqtt.Client:
    """Give the client's plain TCP connections a BufferedSocket (TLS is left as it is).

    paho creates a new socket on every connect; each one is wrapped.
    """
    paho = client._client  # noqa: SLF001 - aiomqtt keeps its paho client here
    create = paho._create_socket  # noqa: SLF001

    def buffered() -> Any:
        sock = create()
        if type(sock) is socket.socket and not isinstance(sock, ssl.SSLSocket):
            return BufferedSocket(sock)
        return sock

    paho._create_socket = buffered  # type: ignore[method-assign]  # noqa: SLF001
    return client


class Received(NamedTuple):
    """One message as a reading client hands it over."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int = 0  # the broker's message id (QoS 1 and 2), to acknowledge it by
    connection: int = 0  # which of the reader's connections it came on (mids are per one)


def deliver_directly(
    client: aiomqtt.Client, inbox: asyncio.Queue[Received], connection: int = 0
) -> aiomqtt.Client:
    """Put each message the client's paho receives straight into `inbox` as a `Received`
    stamped with `connection`.

    paho calls this from its reader, which aiomqtt runs on the event loop. A topic that is not
    UTF-8 (a broker must refuse one) is kept with its bad bytes escaped, so it is refused as an
    unknown topic and not lost.
    """
    put = inbox.put_nowait

    def handle(message: MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = message._topic.decode("utf-8", "backslashreplace")  # noqa: SLF001
        payload = message.payload  # bytes as paho reads; typed bytes | bytearray
        if type(payload) is not bytes:
            payload = bytes(payload)
        put(Received(topic, payload, message.qos, message.retain, message.mid, connection))

    client._client._handle_on_message = handle  # type: ignore[method-assign]  # noqa: SLF001
    return client


def reading_client(
    inbox: asyncio.Queue[Received],
    host: str,
    port: int,
    *,
    connection: int = 0,
    manual_ack: bool = False,
    **options: Any,
) -> aiomqtt.Client:
    """An aiomqtt client that reads in chunks and puts every message in `inbox`, stamped
    with `connection`.

    Take them with `next_message`, then with `get_nowait` while the inbox is not empty:
    waiting on each one costs a task per message. With `manual_ack` a QoS 1 or 2 message is
    not acknowledged to the broker until `acknowledge` is called for it.
    """

    def given_inbox(maxsize: int = 0) -> asyncio.Queue[Received]:
        return inbox  # every connection of this client fills the same inbox

    queue_type = cast("type[asyncio.Queue[aiomqtt.Message]]", given_inbox)
    client = aiomqtt.Client(host, port, queue_type=queue_type, **options)
    if manual_ack:
        client._client.manual_ack_set(True)  # noqa: SLF001
    return deliver_directly(read_in_chunks(client), inbox, connection)


def acknowledge(client: aiomqtt.Client, messages: Iterable[tuple[int, int]]) -> None:
    """Acknowledge (mid, qos) pairs received on a manual_ack client, in the order given."""
    paho = client._client  # noqa: SLF001
    for mid, qos in messages:
        paho.ack(mid, qos)


async def next_message(messages: AsyncIterator[aiomqtt.Message]) -> Received:
    """The next message of a reading client's `messages`; MqttError when the connection drops."""
    return cast(Received, await anext(messages))
