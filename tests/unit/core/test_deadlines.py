"""Deadlines: one watching task expires what is not done within the shared timeout."""

from __future__ import annotations

import asyncio

import pytest

from penworks.core.deadlines import Deadlines
from tests.unit.pipeline.support import eventually


async def test_what_is_not_done_in_time_expires_in_order_and_what_is_done_does_not() -> None:
    done: set[int] = set()
    expired: list[int] = []
    deadlines = Deadlines(0.03, done.__contains__, expired.append)
    for n in range(5):
        deadlines.add(n)
    done.update({1, 3})
    await eventually(lambda: len(expired) == 3)
    assert expired == [0, 2, 4]
    assert len(deadlines) == 0
    await deadlines.close()


async def test_nothing_expires_before_its_time_and_the_watch_restarts_after_close() -> None:
    expired: list[str] = []
    deadlines = Deadlines(0.5, lambda _: False, expired.append)
    deadlines.add("a")
    await asyncio.sleep(0.05)
    assert expired == []
    await deadlines.close()
    short = Deadlines(0.01, lambda _: False, expired.append)
    short.add("b")
    await short.close()
    short.add("c")  # a new watch starts
    await eventually(lambda: len(expired) == 2)
    assert expired == ["b", "c"]
    await short.close()


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Deadlines(0, lambda _: True, lambda _: None)
