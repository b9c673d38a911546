"""History dead letters: refused input kept byte for byte, newest first, counted."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from penworks.core import DeadLetter, StoreError
from penworks.store import DeadLetterCount, History

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
EVERY_BYTE = bytes(range(256))


def letter(i: int, source: str = "mqtt", reason: str = "not json") -> DeadLetter:
    return DeadLetter(source, f"b15/dev{i % 2}", T0 + timedelta(seconds=i), reason, EVERY_BYTE)


async def test_binary_payloads_come_back_intact(history: History) -> None:
    sent = [
        DeadLetter("mqtt", "b15/x", T0, "not json", EVERY_BYTE * 4),
        DeadLetter("modbus", "hr:40001", T0 + timedelta(seconds=1), "empty", b""),
    ]
    await history.append_dead_letters(sent)
    back = await history.dead_letters()
    assert sorted(back, key=lambda d: d.ts) == sent
    assert all(type(d.payload) is bytes for d in back)


async def test_newest_first_with_source_filter_and_limit(history: History) -> None:
    sent = [letter(i, source="mqtt" if i % 3 else "bacnet") for i in range(12)]
    await history.append_dead_letters(sent[6:])
    await history.append_dead_letters(sent[:6])  # older ones arriving later
    newest_first = sorted(sent, key=lambda d: d.ts, reverse=True)

    assert await history.dead_letters() == newest_first
    assert await history.dead_letters(limit=4) == newest_first[:4]
    assert await history.dead_letters("bacnet") == [d for d in newest_first if d.source == "bacnet"]
    assert await history.dead_letters("nobody") == []


async def test_counts_per_source_channel_and_reason(history: History) -> None:
    reasons = ["not json", "unknown point", "not json", "out of range"]
    # Upper and lower case: counts come in byte order, whatever a database's collation.
    sources = ["mqtt", "Modbus", "bacnet", "BACnet", "mqtt"]
    sent = [
        letter(i, source=sources[i % len(sources)], reason=reasons[i % len(reasons)])
        for i in range(20)
    ]
    await history.append_dead_letters(sent[:9])
    await history.append_dead_letters(sent[9:])

    counted = Counter((d.source, d.channel, d.reason) for d in sent)
    last = {
        key: max(d.ts for d in sent if (d.source, d.channel, d.reason) == key) for key in counted
    }
    expected = [DeadLetterCount(*key, n, last[key]) for key, n in sorted(counted.items())]
    assert await history.dead_letter_counts() == expected


async def test_a_bad_letter_rejects_the_batch(history: History) -> None:
    naive = DeadLetter("mqtt", "x", datetime(2026, 7, 1), "r", b"")  # noqa: DTZ001 - on purpose
    with pytest.raises(StoreError, match="dead letter 1 of 2.*timezone-aware"):
        await history.append_dead_letters([letter(0), naive])
    assert await history.dead_letters() == []
    assert await history.dead_letter_counts() == []


async def test_a_letter_with_text_no_backend_can_keep_is_kept_escaped(history: History) -> None:
    # A dead letter is kept whatever it holds: refusing it would stall the writer behind it.
    odd = DeadLetter("mqtt", "b15/\x00", T0, "bad \udcff byte", b"\x00")
    await history.append_dead_letters([odd])
    (kept,) = await history.dead_letters()
    assert (kept.channel, kept.reason, kept.payload) == ("b15/\\x00", "bad \\udcff byte", b"\x00")


async def test_limit_must_be_positive(history: History) -> None:
    with pytest.raises(StoreError, match="limit"):
        await history.dead_letters(limit=0)
