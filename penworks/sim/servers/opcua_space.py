"""The twin's OPC UA address space: folders of device objects, a variable per point.

    Objects/
      Elevators/                 a folder per grouping (FolderType)
        Lift1                    an object per device, browse name = SimDevice.address
          Position               a variable per PointSpec, browse name = key,
            EngineeringUnits     NodeId ns=2;s=Lift1.Position, with the point's unit
            EURange              and range as properties, where the spec has them

Node ids are strings built from names, so the platform's bindings stay valid when the
twin adds devices or points. Browse names are in the twin's namespace, except the standard
properties (0:EngineeringUnits, 0:EURange).
"""

from __future__ import annotations

from asyncua import ua

from penworks.sim.devices import PointSpec, SimDevice
from penworks.sim.servers.opcua_names import AttributeIds, Node, string_node
from penworks.sim.servers.opcua_units import eu_information
from penworks.sim.servers.opcua_variables import VT, DeviceVariable, variant_type

# What a variable holds until its first update (the server writes every value before start).
_EMPTY: dict[ua.VariantType, object] = {
    VT.Boolean: False,
    VT.String: "",
    VT.Int32: 0,
    VT.Double: 0.0,
}


def variable_id(device: SimDevice, key: str) -> str:
    """The string NodeId of a point's variable: <address>.<key>, e.g. Lift1.Position."""
    return f"{device.address}.{key}"


async def add_folder(parent: Node, idx: int, name: str) -> Node:
    return await parent.add_folder(string_node(name, idx), ua.QualifiedName(name, idx))


async def add_device(folder: Node, idx: int, device: SimDevice) -> list[DeviceVariable]:
    """The device's object and its variables, under `folder`."""
    address = str(device.address)
    node = await folder.add_object(string_node(address, idx), ua.QualifiedName(address, idx))
    await _describe(node, f"{device.label}: {device.type.vendor} {device.type.model}")
    return [await _add_variable(node, idx, device, spec) for spec in device.type.points]


async def _add_variable(
    parent: Node, idx: int, device: SimDevice, spec: PointSpec
) -> DeviceVariable:
    name = variable_id(device, spec.key)
    node_id = string_node(name, idx)
    vtype = variant_type(spec)
    node = await parent.add_variable(node_id, ua.QualifiedName(spec.key, idx), _EMPTY[vtype], vtype)
    if spec.description:
        await _describe(node, spec.description)
    if spec.writable:
        await node.set_writable()  # AccessLevel and UserAccessLevel: CurrentRead | CurrentWrite
    if spec.unit:
        units = eu_information(spec.unit)
        await node.add_property(
            string_node(f"{name}.EngineeringUnits", idx),
            ua.QualifiedName("EngineeringUnits", 0),
            units,
        )
    if spec.min is not None and spec.max is not None and vtype in (VT.Double, VT.Int32):
        limits = ua.Range(Low=float(spec.min), High=float(spec.max))
        await node.add_property(
            string_node(f"{name}.EURange", idx), ua.QualifiedName("EURange", 0), limits
        )
    return DeviceVariable(device, spec, node_id, vtype)


async def _describe(node: Node, text: str) -> None:
    description = ua.DataValue(ua.Variant(ua.LocalizedText(text)))
    await node.write_attribute(AttributeIds.Description, description)
