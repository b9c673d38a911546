"""The bus wire format: every Message to bytes and back, losslessly.

A message is a compact JSON array whose first element tags its type:

    ["o", point, ts_us, value, quality]                  Observation
    ["d", source, channel, ts_us, reason, payload_b64]   DeadLetter
    ["c", point, value, priority, source, reason, ts_us] Command
    ["e", {...}]                                         dict event

Timestamps are integer microseconds since the Unix epoch (UTC): exact, and cheaper than ISO
text. JSON keeps a value's kind (1 stays int, 1.0 float, true bool); non-finite floats are
written as NaN/Infinity, which Python reads back. Quality is its integer value.
"""

from __future__ import annotations

import binascii
import json
import json.encoder
import json.scanner
from base64 import b64decode, b64encode
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from penworks.bus.base import Message
from penworks.core import BusError, Command, DeadLetter, Observation, Quality

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_QUALITIES = {q.value: q for q in Quality}
_VALUE_TYPES = (bool, int, float, str)

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
_decoder = json.JSONDecoder()


def _make_dumps() -> Callable[[Any], str]:
    """Compact JSON text; the C encoder made once, where JSONEncoder makes it every call."""
    make = getattr(json.encoder, "c_make_encoder", None)  # absent outside CPython
    if make is None:
        return _encoder.encode
    iterencode = make(
        None, _encoder.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    return lambda doc: "".join(iterencode(doc, 0))


_dumps = _make_dumps()
_scan: Callable[[str, int], tuple[Any, int]]
_scan = json.scanner.make_scanner(_decoder)  # type: ignore[arg-type]  # typeshed has it wrong


def _loads(text: str) -> Any:
    """JSON text to a value: the scanner straight away, the full decoder when it balks."""
    try:
        doc, end = _scan(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):
        return _decoder.decode(text)  # leading or trailing whitespace, or an error to explain
    return doc


class CodecError(BusError, ValueError):
    """A message that cannot be encoded for the wire, or bytes that are no bus message."""


def _micros(ts: datetime) -> int:
    if ts.tzinfo is None:
        raise CodecError(f"naive timestamp {ts.isoformat()}: bus timestamps must be aware")
    return (ts - _EPOCH) // _US


def _timestamp(us: object) -> datetime:
    if type(us) is not int:
        raise TypeError(f"timestamp must be integer microseconds, got {us!r:.40}")
    return _EPOCH + us * _US


def _text(value: object) -> str:
    if type(value) is not str:
        raise TypeError(f"expected a text, got {value!r:.40}")
    return value


def _value(value: object) -> Any:
    if not isinstance(value, _VALUE_TYPES):
        raise TypeError(f"a point value is a number, bool or text, not {value!r:.40}")
    return value


def _encode_observation(o: Observation) -> list[Any]:
    return ["o", o.point, _micros(o.ts), o.value, int(o.quality)]


def _encode_dead_letter(d: DeadLetter) -> list[Any]:
    payload = b64encode(d.payload).decode("ascii")
    return ["d", d.source, d.channel, _micros(d.ts), d.reason, payload]


def _encode_command(c: Command) -> list[Any]:
    return ["c", c.point, c.value, c.priority, c.source, c.reason, _micros(c.ts)]


def _encode_event(e: dict[str, Any]) -> list[Any]:
    return ["e", e]


_ENCODERS: dict[type, Callable[[Any], list[Any]]] = {  # by exact type: the fast path
    Observation: _encode_observation,
    DeadLetter: _encode_dead_letter,
    Command: _encode_command,
    dict: _encode_event,
}


def encode(message: Message) -> bytes:
    """The wire bytes of a message; CodecError when it cannot travel (naive time, a dict
    holding something JSON cannot carry)."""
    encoder = _ENCODERS.get(type(message))
    if encoder is not None:
        doc = encoder(message)
    elif isinstance(message, dict):  # a dict subclass
        doc = _encode_event(message)
    else:
        raise CodecError(f"not a bus message: {type(message).__name__}")
    try:
        return _dumps(doc).encode()
    except (TypeError, ValueError) as exc:
        raise CodecError(f"cannot encode {type(message).__name__}: {exc}") from None


def message_id(observation: Observation) -> str:
    """What identifies an observation for de-duplication: its point and instant (the
    history store's key too), so a re-published one is stored once."""
    return f"{observation.point}@{_micros(observation.ts)}"


def _decode_observation(doc: list[Any]) -> Observation:
    _, point, ts, value, quality = doc
    if type(quality) is not int or quality not in _QUALITIES:
        raise ValueError(f"unknown quality {quality!r:.20}")
    return Observation(_text(point), _timestamp(ts), _value(value), _QUALITIES[quality])


def _decode_dead_letter(doc: list[Any]) -> DeadLetter:
    _, source, channel, ts, reason, payload = doc
    data = b64decode(_text(payload), validate=True)
    return DeadLetter(_text(source), _text(channel), _timestamp(ts), _text(reason), data)


def _decode_command(doc: list[Any]) -> Command:
    _, point, value, priority, source, reason, ts = doc
    if type(priority) is not int:
        raise TypeError(f"priority must be an integer, got {priority!r:.20}")
    value = None if value is None else _value(value)
    return Command(_text(point), value, priority, _text(source), _text(reason), _timestamp(ts))


def _decode_event(doc: list[Any]) -> dict[str, Any]:
    _, event = doc
    if type(event) is not dict:
        raise TypeError("an event is a JSON object")
    return event


_DECODERS: dict[str, Callable[[list[Any]], Message]] = {
    "o": _decode_observation,
    "d": _decode_dead_letter,
    "c": _decode_command,
    "e": _decode_event,
}


def decode(data: bytes) -> Message:
    """The message that `encode` turned into `data`; CodecError saying why it is not one."""
    try:
        doc = _loads(data.decode())
    except ValueError as exc:  # JSON and UTF-8 errors alike
        raise CodecError(f"not a bus message (bad JSON: {exc})") from None
    if type(doc) is not list or not doc or type(doc[0]) is not str:
        raise CodecError("not a bus message (expected a JSON array starting with a type tag)")
    decoder = _DECODERS.get(doc[0])
    if decoder is None:
        raise CodecError(f"unknown bus message type {doc[0]!r:.20}")
    try:
        return decoder(doc)
    except (TypeError, ValueError, OverflowError, binascii.Error) as exc:
        raise CodecError(f"malformed bus message of type {doc[0]!r}: {exc}") from None
