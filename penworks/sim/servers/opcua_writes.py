"""Client writes to device variables go to the device, and its verdict goes back as a status.

asyncua answers a Write request through its AttributeService, one StatusCode per node.
Its other hooks cannot refuse one node of a request: a PreWrite callback returns nothing,
and a value setter can only raise, which fails the whole request as a ServiceFault. So
the twin's server replaces the AttributeService with this subclass: writes to the Value
of a routed node are checked against the node's access levels (BadNotWritable when the
AccessLevel has no CurrentWrite, BadUserAccessDenied when the UserAccessLevel has none,
for every session alike) and handed to the node's target, which answers the status; any
other write goes to asyncua's own service unchanged. The server's own value updates do
not pass here: they are written straight into the address space.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from asyncua import ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.address_space import AddressSpace, AttributeService

from penworks.sim.servers.opcua_names import AttributeIds, StatusCodes, status

WriteTarget = Callable[[ua.Variant], Awaitable[ua.StatusCode]]
"""Takes a client's value for one node and answers the status of the write."""

ADMIN = User(role=UserRole.Admin)  # asyncua's own default for the server's internal session


class DeviceWriteService(AttributeService):
    """asyncua's attribute service, with Value writes to routed nodes sent to their target."""

    def __init__(self, aspace: AddressSpace, targets: Mapping[ua.NodeId, WriteTarget]) -> None:
        super().__init__(aspace)
        self._targets = targets

    async def write(self, params: ua.WriteParameters, user: User = ADMIN) -> list[ua.StatusCode]:
        results: list[ua.StatusCode] = []
        for item in params.NodesToWrite:
            target = None
            if item.AttributeId == AttributeIds.Value:
                target = self._targets.get(item.NodeId)
            if target is None:
                results += await super().write(ua.WriteParameters(NodesToWrite=[item]), user)
            else:
                results.append(await self._routed(item, target))
        return results

    async def _routed(self, item: ua.WriteValue, target: WriteTarget) -> ua.StatusCode:
        if not self._allows(item.NodeId, AttributeIds.AccessLevel):
            return status(StatusCodes.BadNotWritable)
        if not self._allows(item.NodeId, AttributeIds.UserAccessLevel):
            return status(StatusCodes.BadUserAccessDenied)
        if item.IndexRange:
            return status(StatusCodes.BadIndexRangeInvalid)  # the variables are scalars
        variant = item.Value.Value if item.Value is not None else None
        if variant is None:
            return status(StatusCodes.BadTypeMismatch)
        return await target(variant)

    def _allows(self, node_id: ua.NodeId, attribute: AttributeIds) -> bool:
        level = self._aspace.read_attribute_value(node_id, attribute)
        return bool(
            level.StatusCode is not None
            and level.StatusCode.is_good()
            and level.Value is not None
            and ua.ua_binary.test_bit(level.Value.Value, ua.AccessLevel.CurrentWrite)
        )
