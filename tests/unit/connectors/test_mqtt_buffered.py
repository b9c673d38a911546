"""BufferedSocket: small reads served from one large read, what is held said by pending().

A reading client: paho's messages go straight to the inbox as `Received`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from paho.mqtt.client import MQTTMessage

from penworks.connectors.mqtt.buffered import BufferedSocket, Received, reading_client


@pytest.fixture
def pair() -> Iterator[tuple[BufferedSocket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    try:
        yield BufferedSocket(ours), theirs
    finally:
        ours.close()
        theirs.close()


def test_small_reads_come_from_one_read_in_order(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    peer.sendall(b"\x30\x05hello" + b"\x30\x03abc")
    assert buffered.recv(1) == b"\x30"
    assert buffered.pending() == 11  # the rest was read with the first byte
    assert buffered.recv(1) == b"\x05"
    assert buffered.recv(5) == b"hello"
    assert buffered.recv(100) == b"\x30\x03abc"  # no more than is held: never blocks
    assert buffered.pending() == 0


def test_nothing_there_raises_as_a_non_blocking_socket_does(
    pair: tuple[BufferedSocket, socket.socket],
) -> None:
    buffered, peer = pair
    with pytest.raises(BlockingIOError):
        buffered.recv(1)
    peer.sendall(b"x")
    assert buffered.recv(4) == b"x"
    peer.close()
    assert buffered.recv(1) == b""  # the end of the stream


def test_other_calls_reach_the_socket(pair: tuple[BufferedSocket, socket.socket]) -> None:
    buffered, peer = pair
    assert buffered.send(b"ping") == 4
    assert peer.recv(4) == b"ping"
    assert buffered.fileno() >= 0


def _deliver(inbox: asyncio.Queue[Received], message: MQTTMessage) -> Received:
    client = reading_client(inbox, "127.0.0.1", 1883)
    client._client._handle_on_message(message)  # noqa: SLF001 - as paho's reader calls it
    return inbox.get_nowait()


async def test_a_message_reaches_the_inbox_as_received() -> None:
    inbox: asyncio.Queue[Received] = asyncio.Queue()
    message = MQTTMessage(mid=7, topic=b"site/b15/meter")
    message.payload, message.qos, message.retain = b'{"p": 1}', 1, True
    assert _deliver(inbox, message) == Received("site/b15/meter", b'{"p": 1}', 1, True, 7)
    assert inbox.empty()


async def test_a_topic_that_is_not_utf8_is_kept_escaped_and_a_bytearray_becomes_bytes() -> None:
    inbox: asyncio.Queue[Received] = asyncio.Queue()
    message = MQTTMessage(topic=b"site/\xff/meter")
    message.payload = bytearray(b"42")
    received = _deliver(inbox, message)
    assert received.topic == "site/\\xff/meter"
    assert type(received.payload) is bytes
    assert received.payload == b"42"
