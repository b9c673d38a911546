from __future__ import annotations

import random

import pytest

from penworks.core.backoff import Backoff


def test_delays_double_up_to_the_cap_within_their_upper_half() -> None:
    backoff = Backoff(0.5, 30.0, random.Random(7))
    delays = [backoff.next_delay() for _ in range(12)]
    ceilings = [min(30.0, 0.5 * 2**i) for i in range(12)]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 30.0
    assert delays[-1] >= 15.0


def test_delays_are_jittered() -> None:
    firsts = {Backoff(1.0, 30.0, random.Random(seed)).next_delay() for seed in range(20)}
    assert len(firsts) == 20


def test_reset_starts_again_from_the_initial_delay() -> None:
    backoff = Backoff(1.0, 30.0)
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_many_attempts_do_not_overflow() -> None:
    backoff = Backoff(0.1, 5.0)
    for _ in range(5000):
        assert backoff.next_delay() <= 5.0


@pytest.mark.parametrize(("initial", "cap"), [(0, 1), (2, 1), (-1, 5)])
def test_bad_bounds_are_refused(initial: float, cap: float) -> None:
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial, cap)
