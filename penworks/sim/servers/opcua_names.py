"""asyncua names as mypy --strict sees them, and typed makers of NodeIds and StatusCodes.

asyncua's package __init__ files import these without re-exporting them; importing from
the modules that define them keeps their types. NodeId and StatusCode take asyncua's own
int and str subclasses.
"""

from __future__ import annotations

from asyncua import ua
from asyncua.common.node import Node
from asyncua.server.server import Server
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.status_codes import StatusCodes


def string_node(name: str, namespace: int) -> ua.NodeId:
    """A string NodeId, e.g. ns=2;s=Lift1.Position."""
    return ua.NodeId(ua.String(name), ua.Int16(namespace))


def status(code: int) -> ua.StatusCode:
    return ua.StatusCode(ua.UInt32(code))


__all__ = ["AttributeIds", "Node", "Server", "StatusCodes", "status", "string_node"]
