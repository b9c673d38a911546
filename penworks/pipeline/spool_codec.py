"""Bus messages as spool records: the subject, a newline, and the bus's own wire encoding.

Behind two callables (Encoder, Decoder), so that a spool's user could store another form.
"""

from __future__ import annotations

from collections.abc import Callable

from penworks.bus import Message
from penworks.bus.codec import decode, encode

Encoder = Callable[[str, Message], bytes]
"""(subject, message) -> bytes; raises ValueError for a message it cannot encode."""
Decoder = Callable[[bytes], tuple[str, Message]]
"""bytes -> (subject, message); raises ValueError for bytes it cannot read."""


def encode_message(subject: str, message: Message) -> bytes:
    if "\n" in subject:
        raise ValueError(f"a subject cannot hold a newline: {subject!r}")
    return subject.encode() + b"\n" + encode(message)


def decode_message(data: bytes) -> tuple[str, Message]:
    subject, newline, body = data.partition(b"\n")
    if not newline:
        raise ValueError("not a spooled message: no subject")
    return subject.decode(errors="strict"), decode(body)
