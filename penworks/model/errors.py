"""Errors of the building model that callers may want to tell apart."""

from __future__ import annotations

from penworks.core import ModelError


class UnknownEntityError(ModelError, KeyError):
    """An entity id (building, floor, space or equipment) that the model does not know."""

    def __init__(self, entity_id: str) -> None:
        super().__init__(entity_id)
        self.entity_id = entity_id

    def __str__(self) -> str:
        return (
            f"unknown entity {self.entity_id!r} "
            "(expected the full id of a building, floor, space or equipment)"
        )
