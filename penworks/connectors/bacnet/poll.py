"""Reading many objects of one device: ReadPropertyMultiple in batches, ReadProperty if need be.

A batch holds as many objects as an unsegmented answer of the device's size fits (about 40
bytes an object for a value, its status flags and out-of-service). A device that aborts a
batch as too long gets half-size batches from then on; one that does not know
ReadPropertyMultiple (a Reject) is read with ReadProperty per property from then on, its
status from status-flags alone. A batch that fails as a whole with an Error (an unknown
object, when it is the only one) is read object by object, so that each point gets its own
answer. Only silence (BacnetTimeout) ends a read: the device is not answering.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from penworks.connectors.bacnet.errors import BacnetError, BacnetFailure, BacnetTimeout
from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.points import OUT_OF_SERVICE, STATUS_FLAGS
from penworks.connectors.bacnet.stack import DeviceLink, PropertyResult

log = logging.getLogger(__name__)

DEFAULT_MAX_APDU = 1024
BYTES_PER_OBJECT = 40
# Abort and Reject reasons, and the Error codes that stand for them since BACnet 2012
TOO_LONG = frozenset(
    {"segmentation-not-supported", "buffer-overflow", "apdu-too-long"}
    | {"abort-segmentation-not-supported", "abort-buffer-overflow", "abort-apdu-too-long"}
)
NO_SERVICE = frozenset({"unrecognized-service"})

Request = tuple[ObjectRef, tuple[str, ...]]


@dataclass(slots=True)
class ObjectReading:
    """What one object answered: values by property, and the device's errors by property."""

    obj: ObjectRef
    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def batch_for(max_apdu: int) -> int:
    """Objects per ReadPropertyMultiple for a device that takes answers of `max_apdu` bytes."""
    return max(1, (max_apdu - 12) // BYTES_PER_OBJECT)


class Poller:
    """Reads objects of one device, learning what the device can take."""

    def __init__(self, batch: int = batch_for(DEFAULT_MAX_APDU)) -> None:
        self.batch = batch
        self.multiple = True  # the device answers ReadPropertyMultiple

    async def read(self, link: DeviceLink, requests: Sequence[Request]) -> list[ObjectReading]:
        """One reading per request, in order; BacnetTimeout if the device does not answer."""
        readings: list[ObjectReading] = []
        start = 0
        while start < len(requests):
            chunk = requests[start : start + self.batch]
            readings += await self._chunk(link, chunk)
            start += len(chunk)
        return readings

    async def _chunk(self, link: DeviceLink, chunk: Sequence[Request]) -> list[ObjectReading]:
        if not self.multiple:
            return [await self._singly(link, obj, props) for obj, props in chunk]
        try:
            return _assemble(chunk, await link.read_multiple(chunk))
        except BacnetTimeout:
            raise
        except BacnetFailure as exc:
            why = exc.error_code if isinstance(exc, BacnetError) else exc.reason
            if why in NO_SERVICE:
                log.info("%s: no ReadPropertyMultiple (%s): reading singly", link.label, exc)
                self.multiple = False
            elif why in TOO_LONG and len(chunk) > 1:
                self.batch = max(1, len(chunk) // 2)
                log.info("%s: %s: batches of %d objects", link.label, why, self.batch)
                return await self.read(link, chunk)
            # otherwise each object on its own, so that each point gets its own answer
        return [await self._singly(link, obj, props) for obj, props in chunk]

    async def _singly(
        self, link: DeviceLink, obj: ObjectRef, props: Sequence[str]
    ) -> ObjectReading:
        reading = ObjectReading(obj)
        for prop in props:
            if prop == OUT_OF_SERVICE and STATUS_FLAGS in props:
                continue  # status-flags carry it: one request less per object
            try:
                reading.values[prop] = await link.read(obj, prop)
            except BacnetTimeout:
                raise
            except BacnetFailure as exc:
                reading.errors[prop] = exc.reason
        return reading


def _assemble(chunk: Sequence[Request], results: list[PropertyResult]) -> list[ObjectReading]:
    found = {(r.obj, r.prop): r for r in results}
    readings = []
    for obj, props in chunk:
        reading = ObjectReading(obj)
        for prop in props:
            result = found.get((obj, prop))
            if result is None:
                reading.errors[prop] = "missing from the device's answer"
            elif result.error is not None:
                reading.errors[prop] = result.error
            else:
                reading.values[prop] = result.value
        readings.append(reading)
    return readings
