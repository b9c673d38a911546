"""Validate data against a schema model, reporting each pydantic error at its place."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from penworks.model import schema
from penworks.model.places import Loc, Place, Problems

M = TypeVar("M", bound=BaseModel)


def validate_model(
    model: type[M], data: Any, base: Loc, problems: Problems, place: Place | None = None
) -> M | None:
    """model.model_validate(data), reporting each pydantic error at its place."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            message = describe_error(error)
            if place is not None:
                problems.add(place.child(*error["loc"]), message)
            else:
                problems.add_raw(base + tuple(error["loc"]), message)
        return None


def describe_error(error: ErrorDetails) -> str:
    """pydantic's message, said the way a person editing the file needs it."""
    loc = error["loc"]
    key = loc[-1] if loc else ""
    if error["type"] == "extra_forbidden":
        close = get_close_matches(str(key), _field_names(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key!r}{hint}"
    if error["type"] == "missing":
        return f"required key {key!r} is missing"
    value = error.get("input")
    shown = f" (got {value!r:.60})" if isinstance(value, str | int | float | bool) else ""
    return f"{error['msg']}{shown}"


def _field_names() -> list[str]:
    names: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return sorted(names)
