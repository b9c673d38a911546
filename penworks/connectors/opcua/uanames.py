"""asyncua names as mypy sees them: imported from the modules that define them.

asyncua's package __init__ files import these without re-exporting them, which mypy
--strict refuses; importing from the defining modules keeps the types.
"""

from __future__ import annotations

from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIdNames, ObjectIds
from asyncua.ua.uaerrors import UaError, UaStatusCodeError, UaStringParsingError


def standard_node(identifier: int) -> ua.NodeId:
    """A node of namespace 0 (the standard address space) by its numeric id."""
    return ua.NodeId(ua.Int32(identifier))


__all__ = [
    "AttributeIds",
    "Client",
    "ObjectIdNames",
    "ObjectIds",
    "UaError",
    "UaStatusCodeError",
    "UaStringParsingError",
    "standard_node",
]
