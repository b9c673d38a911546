"""How observations and dead letters become rows and back, whatever the backend.

Timestamps are integer microseconds since the epoch (UTC). A value is kept as an int, a
float or a text next to a small kind code (number, bool, text), so a bool comes back a
bool and a number stored as an int comes back an int. Every check on what may be stored
is here, so each backend refuses the same input with the same message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from penworks.core import DeadLetter, InvalidObservation, Observation, Quality, StoreError, Value

KIND_NUMBER: Final = 0
KIND_BOOL: Final = 1
KIND_TEXT: Final = 2

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_QUALITIES: Final = tuple(Quality)
_QUALITY_CODES: Final[dict[object, int]] = {quality: int(quality) for quality in Quality}

Stored = int | float | str
SampleRow = tuple[int, int, Stored, int, int]
"""point id, ts (µs), value, kind, quality: a sample once its point has an id."""
NamedRow = tuple[str, int, Stored, int, int]
"""A sample row that still carries the point's name instead of its id."""
LetterRow = tuple[str, str, int, str, bytes]
"""source, channel, ts (µs), reason, payload."""


def to_micros(ts: datetime) -> int:
    """Microseconds since the epoch; naive timestamps are refused rather than guessed."""
    try:
        return (ts - _EPOCH) // _MICROSECOND
    except TypeError:  # naive, or not a datetime at all: checked only when it fails (hot path)
        raise StoreError(f"timestamps must be timezone-aware datetimes, got {ts!r:.60}") from None


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def to_micros_span(interval: timedelta) -> int:
    return interval // _MICROSECOND


def encode_value(value: object) -> tuple[Stored, int]:
    # bool before int: a bool is an int to Python but must come back a bool.
    if isinstance(value, bool):
        return int(value), KIND_BOOL
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise StoreError(f"integer {value} does not fit in 64 bits")
        return value, KIND_NUMBER
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StoreError(f"{value} is not a finite number")
        return value, KIND_NUMBER
    if isinstance(value, str):
        return check_text(value, "a text value"), KIND_TEXT
    raise StoreError(f"cannot store a {type(value).__name__} value")


def check_text(text: str, what: str) -> str:
    """Text every backend can keep: PostgreSQL's text has no NUL, and neither takes a lone
    surrogate (not Unicode that UTF-8 can encode)."""
    if "\x00" in text:
        raise StoreError(f"{what} must not contain a NUL character")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise StoreError(f"{what} is not valid Unicode: {text!r:.40}") from None
    return text


def decode_value(raw: object, kind: int) -> Value:
    if kind == KIND_BOOL:
        return bool(raw)
    if kind == KIND_TEXT and isinstance(raw, str):
        return raw
    if kind == KIND_NUMBER and isinstance(raw, int | float):
        return raw
    raise StoreError(f"stored value {raw!r:.40} does not match its kind code {kind}")


def decode_quality(code: int) -> Quality:
    if 0 <= code < len(_QUALITIES):
        return _QUALITIES[code]
    raise StoreError(f"stored quality code {code} is unknown")


def encode_observation(obs: Observation) -> NamedRow:
    point, value = obs.point, obs.value
    if not isinstance(point, str) or not point:
        raise StoreError(f"point id must be a non-empty text, got {point!r:.40}")
    check_text(point, "a point id")
    quality = _QUALITY_CODES.get(obs.quality)
    if quality is None:
        raise StoreError(f"quality {obs.quality!r:.40} is not a Quality")
    if type(value) is float and math.isfinite(value):  # the common case, checked first
        return point, to_micros(obs.ts), value, KIND_NUMBER, quality
    stored, kind = encode_value(value)
    return point, to_micros(obs.ts), stored, kind, quality


def encode_observations(observations: Sequence[Observation]) -> list[NamedRow]:
    """Every row of the batch, or a StoreError naming the first bad observation."""
    rows: list[NamedRow] = []
    for index, obs in enumerate(observations):
        try:
            rows.append(encode_observation(obs))
        except StoreError as err:
            raise InvalidObservation(
                f"observation {index} of {len(observations)} ({obs.point!r:.80}): {err};"
                " nothing of this batch was written",
                index,
            ) from None
    return rows


def decode_observation(point: str, ts: int, raw: object, kind: int, quality: int) -> Observation:
    return Observation(point, from_micros(ts), decode_value(raw, kind), decode_quality(quality))


def encode_dead_letter(letter: DeadLetter) -> LetterRow:
    for name in ("source", "channel", "reason"):
        if not isinstance(getattr(letter, name), str):
            raise StoreError(f"dead letter {name} must be a text")
    if not isinstance(letter.payload, bytes | bytearray | memoryview):
        raise StoreError(f"dead letter payload must be bytes, got {type(letter.payload).__name__}")
    ts = to_micros(letter.ts)
    source, channel, reason = (keepable(t) for t in (letter.source, letter.channel, letter.reason))
    return source, channel, ts, reason, bytes(letter.payload)


def keepable(text: str) -> str:
    """`text` as every backend can keep it: a dead letter is kept whatever it holds, so a
    NUL or a lone surrogate (from a topic or a payload that was not UTF-8) is written as an
    escape instead of being refused."""
    try:
        return check_text(text, "")
    except StoreError:
        escaped = text.replace("\x00", "\\x00")
        return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def encode_dead_letters(letters: Sequence[DeadLetter]) -> list[LetterRow]:
    rows: list[LetterRow] = []
    for index, letter in enumerate(letters):
        try:
            rows.append(encode_dead_letter(letter))
        except StoreError as err:
            raise StoreError(
                f"dead letter {index} of {len(letters)}: {err}; nothing of this batch was written"
            ) from None
    return rows


def decode_dead_letter(
    source: str, channel: str, ts: int, reason: str, payload: bytes
) -> DeadLetter:
    return DeadLetter(source, channel, from_micros(ts), reason, bytes(payload))


def count_dead_letters(rows: Sequence[LetterRow]) -> list[tuple[str, str, str, int, int]]:
    """(source, channel, reason, count, newest ts) for each group of the batch."""
    counts: dict[tuple[str, str, str], tuple[int, int]] = {}
    for source, channel, ts, reason, _payload in rows:
        count, last_ts = counts.get((source, channel, reason), (0, ts))
        counts[(source, channel, reason)] = (count + 1, max(last_ts, ts))
    return [(s, c, r, count, last_ts) for (s, c, r), (count, last_ts) in counts.items()]
