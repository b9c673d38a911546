"""BufferedSocket: small reads served from one large read, what is held said by pending()."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from penworks.connectors.mqtt.buffered import BufferedSocket


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
