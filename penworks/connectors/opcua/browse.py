"""Walk a server's address space from Objects: its objects, folders and variables.

Level by level, with batched Browse and Read requests (a few round trips per level, not one
per node), bounded in depth and in the number of nodes visited. The server's own objects
(namespace 0: Server, diagnostics) are left out. Of each variable it reads the DataType,
the access levels, the description, the value, and its EngineeringUnits and EURange
properties.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from asyncua import ua
from asyncua.common.ua_utils import data_type_to_variant_type

from penworks.connectors.opcua.uanames import (
    AttributeIds,
    Client,
    ObjectIdNames,
    ObjectIds,
    UaError,
    standard_node,
)
from penworks.connectors.opcua.units import unit_symbol
from penworks.connectors.opcua.values import raw_value
from penworks.core import PayloadError, PointKind, Value, coerce_value

log = logging.getLogger(__name__)

MAX_DEPTH = 10
BROWSE_CHUNK = 100  # nodes per Browse request
READ_CHUNK = 500  # attributes per Read request

_ID = ObjectIds
KIND_BY_DATA_TYPE: dict[int, PointKind] = {
    _ID.Boolean: PointKind.BOOL,
    **{
        t: PointKind.NUMBER
        for t in (
            _ID.SByte,
            _ID.Byte,
            _ID.Int16,
            _ID.UInt16,
            _ID.Int32,
            _ID.UInt32,
            _ID.Int64,
            _ID.UInt64,
            _ID.Float,
            _ID.Double,
            _ID.Number,
            _ID.Integer,
            _ID.UInteger,
            _ID.Enumeration,
        )
    },
    _ID.String: PointKind.TEXT,
    _ID.LocalizedText: PointKind.TEXT,
}
KIND_BY_VARIANT: dict[ua.VariantType, PointKind] = {
    ua.VariantType(t): k for t, k in KIND_BY_DATA_TYPE.items() if t <= 25
}
_VARIABLE_ATTRIBUTES = (
    AttributeIds.DataType,
    AttributeIds.ValueRank,
    AttributeIds.AccessLevel,
    AttributeIds.UserAccessLevel,
    AttributeIds.Description,
    AttributeIds.Value,
)


@dataclass(frozen=True, slots=True)
class Segment:
    """An object or folder on the way from Objects to a variable."""

    name: str  # browse name
    label: str  # display name
    node: str
    folder: bool


@dataclass(frozen=True, slots=True)
class BrowsedVariable:
    """A variable node and what a point bound to it needs to know."""

    node: str  # node id, e.g. ns=2;s=Lift1.Position
    path: tuple[Segment, ...]  # the objects and folders above it, from below Objects
    name: str  # browse name
    label: str  # display name
    data_type: str  # e.g. Double, Int32, Boolean (its base type)
    kind: PointKind | None  # None: not a value a point can hold (structure, array, ...)
    writable: bool
    description: str | None = None
    unit: str | None = None
    eu_range: tuple[float, float] | None = None
    sample: Value | None = None


@dataclass
class Browse:
    """What a walk found, and whether it stopped at its bound."""

    variables: list[BrowsedVariable] = field(default_factory=list)
    truncated: bool = False


@dataclass
class _Found:
    node: ua.NodeId
    path: tuple[Segment, ...]
    name: str
    label: str
    units: ua.NodeId | None = None
    eu_range: ua.NodeId | None = None


async def browse_variables(
    client: Client, *, max_nodes: int = 2000, max_depth: int = MAX_DEPTH
) -> Browse:
    """The variables below Objects (outside namespace 0), at most max_nodes nodes visited."""
    found, truncated = await _walk(client, max_nodes, max_depth)
    if truncated:
        log.warning("browse stopped at %d nodes; raise max_nodes to see the rest", max_nodes)
    variables = await _describe(client, found)
    return Browse(variables, truncated)


async def _walk(client: Client, max_nodes: int, max_depth: int) -> tuple[list[_Found], bool]:
    objects = standard_node(ObjectIds.ObjectsFolder)
    level: list[tuple[ua.NodeId, tuple[Segment, ...], _Found | None]] = [(objects, (), None)]
    seen = {objects}
    found: list[_Found] = []
    for depth in range(max_depth):
        children = await _children(client, [node for node, _, _ in level])
        next_level: list[tuple[ua.NodeId, tuple[Segment, ...], _Found | None]] = []
        for (_, path, variable), references in zip(level, children, strict=True):
            for ref in references:
                if ref.NodeId in seen or (depth == 0 and ref.NodeId.NamespaceIndex == 0):
                    continue
                if ref.ReferenceTypeId == standard_node(ObjectIds.HasProperty):
                    _property(variable, ref)  # units and range of a variable; others ignored
                    continue
                if len(seen) > max_nodes:
                    return found, True
                seen.add(ref.NodeId)
                next_level.append(_visit(ref, path, variable, found))
        level = next_level
        if not level:
            break
    return found, False


def _visit(
    ref: ua.ReferenceDescription,
    path: tuple[Segment, ...],
    parent: _Found | None,
    found: list[_Found],
) -> tuple[ua.NodeId, tuple[Segment, ...], _Found | None]:
    name, label = ref.BrowseName.Name or "", ref.DisplayName.Text or ref.BrowseName.Name or ""
    if ref.NodeClass == ua.NodeClass.Variable:
        # A variable's component variables keep its path, named after it: Door.Open
        prefix = f"{parent.name}." if parent is not None else ""
        variable = _Found(ref.NodeId, path, prefix + name, label)
        found.append(variable)
        return ref.NodeId, path, variable
    folder = ref.TypeDefinition == standard_node(ObjectIds.FolderType)
    segment = Segment(name, label, ref.NodeId.to_string(), folder)
    return ref.NodeId, (*path, segment), None


def _property(variable: _Found | None, ref: ua.ReferenceDescription) -> None:
    if variable is None:
        return
    if ref.BrowseName.Name == "EngineeringUnits":
        variable.units = ref.NodeId
    elif ref.BrowseName.Name == "EURange":
        variable.eu_range = ref.NodeId


async def _children(
    client: Client, nodes: Sequence[ua.NodeId]
) -> list[list[ua.ReferenceDescription]]:
    """Forward hierarchical references (objects and variables) of each node, in order."""
    out: list[list[ua.ReferenceDescription]] = []
    for start in range(0, len(nodes), BROWSE_CHUNK):
        chunk = nodes[start : start + BROWSE_CHUNK]
        parameters = ua.BrowseParameters(
            View=ua.ViewDescription(),
            RequestedMaxReferencesPerNode=0,
            NodesToBrowse=[_browse_description(n) for n in chunk],
        )
        for result in await client.uaclient.browse(parameters):
            out.append(await _all_references(client, result))
    return out


def _browse_description(node: ua.NodeId) -> ua.BrowseDescription:
    return ua.BrowseDescription(
        NodeId=node,
        BrowseDirection=ua.BrowseDirection.Forward,
        ReferenceTypeId=standard_node(ObjectIds.HierarchicalReferences),
        IncludeSubtypes=True,
        NodeClassMask=int(ua.NodeClass.Object) | int(ua.NodeClass.Variable),
        ResultMask=int(ua.BrowseResultMask.All),
    )


async def _all_references(client: Client, result: ua.BrowseResult) -> list[ua.ReferenceDescription]:
    """The references of one browse result, following continuation points."""
    references = list(result.References or [])
    while result.ContinuationPoint:
        parameters = ua.BrowseNextParameters(
            ReleaseContinuationPoints=False, ContinuationPoints=[result.ContinuationPoint]
        )
        result = (await client.uaclient.browse_next(parameters))[0]
        references.extend(result.References or [])
    return references


async def _describe(client: Client, found: list[_Found]) -> list[BrowsedVariable]:
    """Read the attributes and unit properties of every variable found (batched)."""
    wanted = [(v.node, a) for v in found for a in _VARIABLE_ATTRIBUTES]
    wanted += [(v.units, AttributeIds.Value) for v in found if v.units is not None]
    wanted += [(v.eu_range, AttributeIds.Value) for v in found if v.eu_range is not None]
    values = dict(zip(wanted, await _read(client, wanted), strict=True))
    kinds = _DataTypeKinds(client)
    variables = []
    for v in found:
        attributes = [values[(v.node, a)] for a in _VARIABLE_ATTRIBUTES]
        data_type, rank, access, user_access, description, value = map(raw_value, attributes)
        if not isinstance(data_type, ua.NodeId):
            continue  # not readable as a variable: left out
        type_name, kind = await kinds.of(data_type)
        if isinstance(rank, int) and rank >= 0:
            kind = None  # arrays: a point holds one value
        units = raw_value(values[(v.units, AttributeIds.Value)]) if v.units else None
        limits = raw_value(values[(v.eu_range, AttributeIds.Value)]) if v.eu_range else None
        variables.append(
            BrowsedVariable(
                node=v.node.to_string(),
                path=v.path,
                name=v.name,
                label=v.label,
                data_type=type_name,
                kind=kind,
                writable=_writable(access) and _writable(user_access),
                description=description if isinstance(description, str) and description else None,
                unit=_unit(units),
                eu_range=(limits.Low, limits.High) if isinstance(limits, ua.Range) else None,
                sample=_sample(kind, value),
            )
        )
    return variables


async def _read(
    client: Client, wanted: Sequence[tuple[ua.NodeId, AttributeIds]]
) -> list[ua.DataValue]:
    out: list[ua.DataValue] = []
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        parameters = ua.ReadParameters(
            NodesToRead=[ua.ReadValueId(NodeId=n, AttributeId=a) for n, a in chunk],
            TimestampsToReturn=ua.TimestampsToReturn.Neither,
        )
        out.extend(await client.uaclient.read(parameters))
    return out


class _DataTypeKinds:
    """DataType node -> (name of its base type, point kind), walking up custom types once."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._known: dict[ua.NodeId, tuple[str, PointKind | None]] = {}

    async def of(self, data_type: ua.NodeId) -> tuple[str, PointKind | None]:
        known = self._known.get(data_type)
        if known is None:
            known = self._known[data_type] = await self._resolve(data_type)
        return known

    async def _resolve(self, data_type: ua.NodeId) -> tuple[str, PointKind | None]:
        identifier = data_type.Identifier
        if (
            data_type.NamespaceIndex == 0
            and isinstance(identifier, int)
            and identifier in KIND_BY_DATA_TYPE
        ):
            return ObjectIdNames[identifier], KIND_BY_DATA_TYPE[identifier]
        try:
            variant = await data_type_to_variant_type(self._client.get_node(data_type))
        except (UaError, ValueError):
            return data_type.to_string(), None
        return variant.name, KIND_BY_VARIANT.get(variant)


def _writable(access: object) -> bool:
    return isinstance(access, int) and bool(
        ua.ua_binary.test_bit(access, ua.AccessLevel.CurrentWrite)
    )


def _unit(units: object) -> str | None:
    if not isinstance(units, ua.EUInformation):
        return None
    return unit_symbol(units.DisplayName.Text if units.DisplayName else None, units.UnitId)


def _sample(kind: PointKind | None, value: object) -> Value | None:
    if kind is None:
        return None
    try:
        return coerce_value(kind, value)
    except PayloadError:
        return None
