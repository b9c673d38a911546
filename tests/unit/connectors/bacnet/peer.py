"""The peer of the BACnet tests: a real bacpypes3 device made of local objects, on loopback.

Each PeerDevice has a loopback port of its own (bacpypes3 takes any 127.x.x.x address on its
own port for itself, so two devices cannot share a port) and can stop and start again on it,
as a device that loses power does. Its objects are built afresh at each start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bacpypes3.app import Application
from bacpypes3.errors import ExecutionError, PropertyError, RejectBufferOverflow
from bacpypes3.local.analog import AnalogInputObject, AnalogOutputObject, AnalogValueObject
from bacpypes3.local.binary import BinaryInputObject, BinaryOutputObject
from bacpypes3.local.cmd import Commandable
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.multistate import MultiStateValueObject
from bacpypes3.local.networkport import NetworkPortObject
from bacpypes3.primitivedata import ObjectIdentifier

OK = {"statusFlags": [0, 0, 0, 0], "eventState": "normal", "outOfService": False}


class CommandableValue(Commandable, AnalogValueObject):  # type: ignore[misc]
    """An analog-value with a priority-array."""


class RefusingValue(Commandable, AnalogValueObject):  # type: ignore[misc]
    """A commandable analog-value whose present-value the device will not let anyone write."""

    async def write_property(
        self, attr: Any, value: Any, index: Any = None, priority: Any = None
    ) -> None:
        raise PropertyError("writeAccessDenied")


class NoCovValue(AnalogValueObject):  # type: ignore[misc]
    """An analog-value the device offers no COV for."""

    _cov_criteria = None


class WholeListRefusingDevice(DeviceObject):  # type: ignore[misc]
    """A device that will only give its object-list item by item (as unsegmented ones do).

    It answers with the Error that stands for the abort since BACnet 2012: bacpypes3 sends a
    server's Abort without its server flag, and a client takes it for none of its own.
    """

    async def read_property(self, attr: Any, index: Any = None) -> Any:
        if attr in ("objectList", 76) and index is None:
            raise ExecutionError("communication", "abortSegmentationNotSupported")
        return await super().read_property(attr, index)


class NoRpmApplication(Application):  # type: ignore[misc]
    """A device without ReadPropertyMultiple: it rejects it as an unrecognized service."""

    do_ReadPropertyMultipleRequest = None


class SmallRpmApplication(Application):  # type: ignore[misc]
    """A device that takes ReadPropertyMultiple of at most two objects (a small buffer)."""

    async def do_ReadPropertyMultipleRequest(self, apdu: Any) -> None:
        if len(apdu.listOfReadAccessSpecs) > 2:
            raise RejectBufferOverflow()
        await super().do_ReadPropertyMultipleRequest(apdu)


def standard_objects() -> list[Any]:
    """The objects of a small HVAC controller."""
    return [
        AnalogInputObject(
            objectIdentifier="analog-input,1", objectName="Zone Temp", presentValue=21.5,
            units="degreesCelsius", description="Zone air temperature", covIncrement=0.1, **OK,
        ),
        AnalogInputObject(
            objectIdentifier="analog-input,2", objectName="Zone CO2", presentValue=450.0,
            units="partsPerMillion", covIncrement=1.0, **OK,
        ),
        AnalogOutputObject(
            objectIdentifier="analog-output,1", objectName="Damper Cmd", presentValue=0.0,
            units="percent", relinquishDefault=0.0, covIncrement=0.5, **OK,
        ),
        AnalogValueObject(
            objectIdentifier="analog-value,1", objectName="Zone Temp Setpoint",
            presentValue=22.0, units="degreesCelsius", covIncrement=0.1, **OK,
        ),
        CommandableValue(
            objectIdentifier="analog-value,2", objectName="Supply Air Temp Setpoint",
            presentValue=14.0, units="degreesCelsius", relinquishDefault=14.0, covIncrement=0.1,
            **OK,
        ),
        RefusingValue(
            objectIdentifier="analog-value,3", objectName="Locked Value", presentValue=5.0,
            units="noUnits", relinquishDefault=5.0, covIncrement=0.1, **OK,
        ),
        NoCovValue(
            objectIdentifier="analog-value,4", objectName="Static Pressure",
            presentValue=250.0, units="pascals", covIncrement=1.0, **OK,
        ),
        BinaryInputObject(
            objectIdentifier="binary-input,1", objectName="Fan Status", presentValue="inactive",
            polarity="normal", **OK,
        ),
        BinaryOutputObject(
            objectIdentifier="binary-output,1", objectName="Fan Cmd", presentValue="inactive",
            polarity="normal", relinquishDefault="inactive", **OK,
        ),
        MultiStateValueObject(
            objectIdentifier="multi-state-value,1", objectName="Occupancy Mode", presentValue=1,
            numberOfStates=3, **OK,
        ),
    ]  # fmt: skip


class PeerDevice:
    """One simulated BACnet device on 127.0.0.1:`port`."""

    def __init__(
        self,
        instance: int,
        port: int,
        *,
        name: str | None = None,
        objects: Callable[[], list[Any]] = standard_objects,
        rpm: bool | int = True,
        whole_object_list: bool = True,
    ) -> None:
        self.instance = instance
        self.port = port
        self.name = name or f"Controller {instance}"
        self._objects = objects
        # rpm: True, False (none), or 2: at most two objects per request
        self._app_class = {True: Application, False: NoRpmApplication}.get(rpm, SmallRpmApplication)
        self._device_class = DeviceObject if whole_object_list else WholeListRefusingDevice
        self.app: Any = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start answering, once its socket is bound."""
        device = self._device_class(
            objectIdentifier=("device", self.instance),
            objectName=self.name,
            vendorIdentifier=999,
        )
        port = NetworkPortObject(
            f"127.0.0.1/8:{self.port}", objectIdentifier=("network-port", 1), objectName="port"
        )
        self.app = self._app_class.from_object_list([device, port, *self._objects()])
        for link_layer in self.app.link_layers.values():  # bacpypes3 binds in tasks of its own
            await asyncio.gather(*link_layer.server._transport_tasks)

    async def stop(self) -> None:
        """Stop answering, as a device that lost power: its subscriptions are gone with it."""
        app, self.app = self.app, None
        if app is not None:
            app.close()
            await asyncio.sleep(0)  # let the transport finish closing its socket

    def __getitem__(self, object_id: str) -> Any:
        """One of its local objects, e.g. peer['analog-input,1'] (set properties on it)."""
        found = self.app.get_object_id(ObjectIdentifier(object_id))
        if found is None:
            raise KeyError(object_id)
        return found

    def set_reliability(self, object_id: str, reliability: str) -> None:
        """Set an object's reliability, and tell its COV detection that its status changed.

        bacpypes3 computes status-flags from reliability, so nothing watches them change:
        writing them first (the write itself is ignored) hands the new flags to the detection.
        """
        obj = self[object_id]
        obj.statusFlags = [0, int(reliability != "no-fault-detected"), 0, 0]
        obj.reliability = reliability

    def remove(self, object_id: str) -> None:
        self.app.delete_object(self[object_id])

    def subscriptions(self, object_id: str) -> int:
        """COV subscriptions the device holds for an object now."""
        detection = self.app._cov_detections.get(ObjectIdentifier(object_id))
        return 0 if detection is None else len(detection.cov_subscriptions)

    def priority_slot(self, object_id: str, priority: int) -> Any:
        """The value at a priority of an object's priority-array (None when the slot is null)."""
        slot = self[object_id].priorityArray[priority - 1]
        return None if slot.null is not None else getattr(slot, slot._choice)
