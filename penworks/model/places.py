"""Places in a site file and the errors that name them: `file:line: key.path[0]: what is wrong`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from penworks.core import ConfigError
from penworks.core.yamlfile import format_loc, locate

Loc = tuple[str | int, ...]
_MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class Place:
    """Where something is written (loc, for the line) and where it lands in the site (path).

    The two differ for what a template stamps in: it is written in `templates:` but lands
    in the space or equipment that names the template.
    """

    loc: Loc
    path: Loc
    via: str | None = None

    @classmethod
    def at(cls, *loc: str | int) -> Place:
        return cls(loc, loc)

    def child(self, *segments: str | int) -> Place:
        return Place(self.loc + segments, self.path + segments, self.via)

    def label(self) -> str:
        text = format_loc(self.path)
        return f"{text} (from {self.via}, {format_loc(self.loc)})" if self.via else text


class SourceMap:
    """Line numbers of the nodes of a YAML document (none for a site built in memory)."""

    def __init__(self, source: str, root: yaml.Node | None = None) -> None:
        self.source = source
        self._root = root

    def locate(self, loc: Sequence[str | int]) -> tuple[int | None, Loc]:
        """(line of the deepest node on loc, the part of loc that exists in the file)."""
        if self._root is None:
            return None, tuple(loc)
        return locate(self._root, tuple(loc))

    def line(self, loc: Sequence[str | int]) -> int | None:
        return self.locate(loc)[0]


class Problems:
    """Collects what is wrong with a site so one run reports all of it, then raises."""

    def __init__(self, sources: SourceMap) -> None:
        self.sources = sources
        self._lines: list[str] = []
        self._seen: set[tuple[Loc, str]] = set()

    def add(self, place: Place, message: str) -> None:
        if place.via is not None:
            # A template mistake shows once, not once per space that uses the template.
            if (place.loc, message) in self._seen:
                return
            self._seen.add((place.loc, message))
        line = self.sources.line(place.loc)
        where = f"{self.sources.source}:{line}" if line else self.sources.source
        self._lines.append(f"{where}: {place.label()}: {message}")

    def add_raw(self, loc: Sequence[str | int], message: str) -> None:
        """A problem at a pydantic error location: keep only the path the file has."""
        line, found = self.sources.locate(loc)
        where = f"{self.sources.source}:{line}" if line else self.sources.source
        self._lines.append(f"{where}: {format_loc(found)}: {message}")

    def add_line(self, line: int, loc: Loc, message: str) -> None:
        self._lines.append(f"{self.sources.source}:{line}: {format_loc(loc)}: {message}")

    def __bool__(self) -> bool:
        return bool(self._lines)

    def raise_if_any(self) -> None:
        if not self._lines:
            return
        shown = self._lines[:_MAX_LISTED]
        more = len(self._lines) - len(shown)
        if more:
            shown.append(f"... and {more} more")
        raise ConfigError("\n".join(shown))
