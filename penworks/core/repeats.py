"""Finding repeated names or numbers, for the error messages of config validators."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TypeVar

Key = TypeVar("Key", str, int)


def repeated(values: Iterable[Key]) -> list[str]:
    """The values that occur more than once, sorted, as text."""
    return [str(v) for v in sorted(v for v, count in Counter(values).items() if count > 1)]
