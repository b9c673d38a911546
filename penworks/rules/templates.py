"""Message templates: ``"{point} is {value:.1f} °C"`` filled from a rule instance's names.

Only ``{name}`` and ``{name:spec}`` are allowed, where name is a variable the rule binds:
no attribute or index access, no positional fields, no conversions, no nested fields, so a
rule file cannot reach into Python objects through ``str.format``. The names are checked
when the rule file loads; rendering never fails (an unknown value prints as ``?``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

MAX_LENGTH: Final = 4_000
UNKNOWN: Final = "?"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SAMPLES: Final = (1.5, 1, "text", True)

Part = tuple[str, str | None, str]  # literal text, then a name (or None) and its spec


class TemplateError(ValueError):
    """A template that is not allowed; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A checked template; `names` are the variables it reads."""

    text: str
    names: frozenset[str]
    _parts: tuple[Part, ...]

    @classmethod
    def compile(cls, text: str) -> MessageTemplate:
        """Parse and check `text`; TemplateError saying what is wrong."""
        if len(text) > MAX_LENGTH:
            raise TemplateError(f"the template is longer than {MAX_LENGTH} characters")
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:  # a lone '{' or '}'
            raise TemplateError(f"{exc} (write {{{{ and }}}} for braces)") from None
        parts: list[Part] = []
        for literal, field, spec, conversion in parsed:
            if field is None:
                parts.append((literal, None, ""))
                continue
            _check_field(field, spec or "", conversion)
            parts.append((literal, field, spec or ""))
        names = frozenset(name for _, name, _ in parts if name is not None)
        return cls(text, names, tuple(parts))

    def render(self, env: Mapping[str, Any]) -> str:
        """The text with each field filled; unknown values print as ``?``."""
        out: list[str] = []
        for literal, name, spec in self._parts:
            out.append(literal)
            if name is not None:
                out.append(_format(env.get(name), spec))
        return "".join(out)

    def render_known(self, env: Mapping[str, Any]) -> str | None:
        """The text, or None when a name it reads has no value."""
        if any(env.get(name) is None for name in self.names):
            return None
        return self.render(env)


def _check_field(field: str, spec: str, conversion: str | None) -> None:
    if not field:
        raise TemplateError("empty fields {} are not allowed: name a variable, e.g. {value}")
    if not _NAME.match(field):
        raise TemplateError(
            f"{{{field}}}: only plain names are allowed (no positions, attributes or indexes)"
        )
    if conversion is not None:
        raise TemplateError(f"{{{field}!{conversion}}}: conversions are not allowed")
    if "{" in spec or "}" in spec:
        raise TemplateError(f"{{{field}:{spec}}}: nested fields are not allowed")
    if spec and not any(_fits(sample, spec) for sample in _SAMPLES):
        raise TemplateError(f"{{{field}:{spec}}}: {spec!r} is not a format specification")


def _fits(sample: object, spec: str) -> bool:
    try:
        format(sample, spec)
    except (ValueError, TypeError):
        return False
    return True


def _format(value: Any, spec: str) -> str:
    if value is None:
        return UNKNOWN
    if not spec:
        return str(value)
    try:
        return format(value, spec)
    except (ValueError, TypeError):  # e.g. ".1f" given a text value
        return str(value)
