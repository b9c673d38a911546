"""A small compiled JSON path: ``$``, ``$.a.b``, ``$.a[0].b``, ``$['a b']``, ``$["x"][-1]``.

A path is parsed once into a tuple of steps (dict keys and list indexes); reading it is a loop
over that tuple, with no parsing and no eval on the message path.
"""

from __future__ import annotations

import re
from typing import Final

from penworks.core import ConfigError


class _Missing:
    """The marker for a path that leads nowhere in a document."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

_NAME = re.compile(r"[^.\[\]'\"\s]+")
_INDEX = re.compile(r"-?\d+")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


class JsonPath:
    """A parsed path; ``get`` walks a decoded JSON document along it."""

    __slots__ = ("_key", "steps", "text")

    def __init__(self, text: str, steps: tuple[str | int, ...]) -> None:
        self.text = text
        self.steps = steps
        # The common path is one key ($.power): read it with one look-up.
        self._key = steps[0] if len(steps) == 1 and isinstance(steps[0], str) else None

    def get(self, doc: object) -> object:
        """The value at this path in doc, or MISSING when the path leads nowhere."""
        if self._key is not None:
            return doc.get(self._key, MISSING) if isinstance(doc, dict) else MISSING
        node = doc
        for step in self.steps:
            if isinstance(step, str):
                if not isinstance(node, dict):
                    return MISSING
                node = node.get(step, MISSING)
                if node is MISSING:
                    return MISSING
            else:
                if not isinstance(node, list):
                    return MISSING
                try:
                    node = node[step]
                except IndexError:
                    return MISSING
        return node

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonPath) and other.steps == self.steps

    def __hash__(self) -> int:
        return hash(self.steps)


def compile_path(text: str) -> JsonPath:
    """Parse a path, or raise ConfigError saying where it is malformed."""
    if not text.startswith("$"):
        raise ConfigError(f"JSON path {text!r} must start with '$'")
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        if text[pos] == ".":
            match = _NAME.match(text, pos + 1)
            if match is None:
                raise _syntax(text, pos + 1, "a key name after '.'")
            steps.append(match.group())
            pos = match.end()
        elif text[pos] == "[":
            step, pos = _bracket(text, pos + 1)
            steps.append(step)
        else:
            raise _syntax(text, pos, "'.' or '['")
    return JsonPath(text, tuple(steps))


def format_path(steps: tuple[str | int, ...]) -> str:
    """The path text of steps, quoting keys that are not plain names (inverse of compile_path)."""
    parts = ["$"]
    for step in steps:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _PLAIN_KEY.fullmatch(step):
            parts.append(f".{step}")
        else:
            escaped = step.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


def _bracket(text: str, pos: int) -> tuple[str | int, int]:
    """Parse what follows '[': an index or a quoted key, up to and past the ']'."""
    key: str | int
    if pos < len(text) and text[pos] in "'\"":
        key, pos = _quoted(text, pos)
    else:
        match = _INDEX.match(text, pos)
        if match is None:
            raise _syntax(text, pos, "an index or a quoted key after '['")
        key, pos = int(match.group()), match.end()
    if pos >= len(text) or text[pos] != "]":
        raise _syntax(text, pos, "']'")
    return key, pos + 1


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """Parse a quoted key starting at its opening quote; backslash escapes the next character."""
    quote = text[pos]
    chars: list[str] = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
        elif char == quote:
            return "".join(chars), pos + 1
        else:
            chars.append(char)
            pos += 1
    raise _syntax(text, pos, f"closing {quote}")


def _syntax(text: str, pos: int, expected: str) -> ConfigError:
    return ConfigError(f"JSON path {text!r}: expected {expected} at position {pos}")
