"""The typed face of bacpypes3: one local BACnet device, and the requests the connector makes.

bacpypes3 has no type stubs and reports a device's Error, Reject and Abort answers by raising
the answer itself (ErrorRejectAbortNack, a BaseException). This module is the only place that
sees either: everything above gets typed values and BacnetFailure (a ConnectorError).

Timeouts and retries are per device (DeviceLink): bacpypes3's own retry counter belongs to the
local device object, shared by every device, so it is set to 0 and this module retries.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bacpypes3.apdu import (
    AbortPDU,
    ErrorPDU,
    ErrorRejectAbortNack,
    RejectPDU,
    SubscribeCOVRequest,
)
from bacpypes3.app import Application
from bacpypes3.basetypes import ErrorType
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.networkport import NetworkPortObject
from bacpypes3.pdu import Address
from bacpypes3.primitivedata import ObjectIdentifier
from bacpypes3.service.cov import SubscriptionContextManager

from penworks.connectors.bacnet.config import LocalAddress
from penworks.connectors.bacnet.errors import (
    BacnetAbort,
    BacnetBindError,
    BacnetError,
    BacnetFailure,
    BacnetReject,
    BacnetTimeout,
)
from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.values import Undecoded

log = logging.getLogger(__name__)

T = TypeVar("T")

# BACpypes' sample vendor identifier: Penworks has no ASHRAE vendor id of its own.
VENDOR_ID = 999
BIND_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class IAm:
    """A device's answer to Who-Is."""

    instance: int
    address: str
    max_apdu: int
    segmentation: str
    vendor_id: int


@dataclass(frozen=True, slots=True)
class PropertyResult:
    """One property of one object from a ReadPropertyMultiple: a value, or the device's error."""

    obj: ObjectRef
    prop: str
    value: object = None
    error: str | None = None


class BacnetStack:
    """The connector's own BACnet/IP device (a bacpypes3 Application) on one local address."""

    def __init__(self, app: Any, local: LocalAddress, requests: Counter[str] | None = None) -> None:
        self._app = app
        self.local = local
        self.requests: Counter[str] = Counter() if requests is None else requests  # per service
        self._process_ids = itertools.count(1)

    @classmethod
    async def open(
        cls,
        local: LocalAddress,
        instance: int,
        *,
        name: str,
        apdu_timeout_s: float,
        requests: Counter[str] | None = None,
    ) -> BacnetStack:
        """Bind `local` as device `instance`; BacnetBindError if the address cannot be bound."""
        check_bindable(local)
        device = DeviceObject(
            objectIdentifier=("device", instance),
            objectName=name,
            vendorIdentifier=VENDOR_ID,
            apduTimeout=int(apdu_timeout_s * 1000),
            numberOfApduRetries=0,
        )
        port = NetworkPortObject(
            str(local), objectIdentifier=("network-port", 1), objectName="NetworkPort-1"
        )
        stack = cls(Application.from_object_list([device, port]), local, requests)
        try:
            async with asyncio.timeout(BIND_WAIT_S):
                await stack._bound()
        except TimeoutError:
            stack.close()
            raise BacnetBindError(f"bacpypes3 could not bind {local}") from None
        return stack

    async def _bound(self) -> None:
        # bacpypes3 binds its sockets in tasks of its own and retries for ever on failure;
        # waiting for them here turns a bind that never happens into an error.
        for link_layer in self._app.link_layers.values():
            await asyncio.gather(*getattr(link_layer.server, "_transport_tasks", ()))
            _enlarge_receive_buffer(getattr(link_layer.server, "local_transport", None))

    def close(self) -> None:
        self._app.close()

    def next_process_id(self) -> int:
        """A subscriber process identifier for a new COV subscription."""
        return next(self._process_ids)

    async def who_is(
        self,
        *,
        address: str | None,
        low: int | None = None,
        high: int | None = None,
        timeout_s: float,
    ) -> list[IAm]:
        """The I-Am answers to a Who-Is, directed to `address` or global (None)."""
        if address is None and self.local.broadcast is None:
            raise BacnetFailure(
                "who-is", f"{self.local} has no broadcast address: give it a prefix, e.g. /24"
            )
        self.requests["who_is"] += 1
        destination = Address(address) if address is not None else None
        future = self._app.who_is(low, high, destination, timeout_s)
        async with asyncio.timeout(timeout_s + 1.0):
            answers = await future
        return [_i_am(a) for a in answers]

    def link(self, address: str, *, timeout_s: float, retries: int, label: str) -> DeviceLink:
        return DeviceLink(self, address, timeout_s=timeout_s, retries=retries, label=label)

    @property
    def app(self) -> Any:
        return self._app


class DeviceLink:
    """Requests to one device at one address, with its timeout and retries."""

    def __init__(
        self, stack: BacnetStack, address: str, *, timeout_s: float, retries: int, label: str
    ) -> None:
        self.stack = stack
        self.address = address
        self.label = label
        self._destination = Address(address)
        self._timeout_s = timeout_s
        self._retries = retries

    async def read(self, obj: ObjectRef, prop: str, index: int | None = None) -> object:
        """ReadProperty: the decoded value (Undecoded if bacpypes3 cannot decode it)."""
        what = f"{self.label} {obj} {prop}" + ("" if index is None else f"[{index}]")
        self.stack.requests["read_property"] += 1
        app = self.stack.app
        value = await self._ask(
            what, lambda: app.read_property(self._destination, str(obj), prop, index)
        )
        return _sentinel(value)

    async def read_multiple(
        self, specs: Sequence[tuple[ObjectRef, Sequence[str]]]
    ) -> list[PropertyResult]:
        """ReadPropertyMultiple of several properties of several objects in one request."""
        what = f"{self.label} read-property-multiple of {len(specs)} objects"
        parameters: list[object] = []
        for obj, props in specs:
            parameters += [str(obj), list(props)]
        self.stack.requests["read_property_multiple"] += 1
        app = self.stack.app
        rows = await self._ask(
            what, lambda: app.read_property_multiple(self._destination, list(parameters))
        )
        if not isinstance(rows, list):
            # bacpypes3 answers None when the reply could not be matched to the request
            # (e.g. it came after a retry had already given up): a failed read, not a crash.
            raise BacnetFailure(what, f"no usable answer ({type(rows).__name__})")
        return [_result(row) for row in rows]

    async def write(self, obj: ObjectRef, prop: str, value: object, priority: int | None) -> None:
        """WriteProperty; a value of null relinquishes `priority`."""
        what = f"{self.label} write {obj} {prop}" + (f" @{priority}" if priority else "")
        self.stack.requests["write_property"] += 1
        app = self.stack.app
        answer = await self._ask(
            what,
            lambda: app.write_property(self._destination, str(obj), prop, value, None, priority),
        )
        if type(answer) is str:  # bacpypes3 could not encode it: nothing was sent
            raise BacnetFailure(what, answer.strip("-"))

    def subscription(self, obj: ObjectRef, *, confirmed: bool, lifetime_s: int) -> CovSubscription:
        return CovSubscription(self, obj, confirmed=confirmed, lifetime_s=lifetime_s)

    async def _ask(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        for _ in range(self._retries + 1):
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await call()
            except TimeoutError:
                continue
            except ErrorRejectAbortNack as answer:
                failure = _failure(what, answer)
                if not isinstance(failure, BacnetTimeout):
                    raise failure from None
        tries = self._retries + 1
        times = "once" if tries == 1 else f"{tries} times"
        raise BacnetTimeout(what, f"no answer in {self._timeout_s:g} s, asked {times}")


class _OwnerRenewedContext(SubscriptionContextManager):  # type: ignore[misc]
    """bacpypes3's COV subscription context, renewed by its owner instead of its own timer.

    The context registers itself where the application delivers notifications and queues
    them; its refresh, left alone, renews 2 s before expiry and, when that fails, never again.
    Here a refresh only sends the SubscribeCOV: CovFollower decides when, and what a failure
    means.
    """

    async def refresh_subscription(self) -> None:
        request = SubscribeCOVRequest(
            subscriberProcessIdentifier=self.subscriber_process_identifier,
            monitoredObjectIdentifier=self.monitored_object_identifier,
            issueConfirmedNotifications=self.issue_confirmed_notifications,
            lifetime=self.lifetime,
            destination=self.address,
        )
        await self.app.request(request)


class CovSubscription:
    """One SubscribeCOV of one object: start, renew, take notifications, close."""

    def __init__(
        self, link: DeviceLink, obj: ObjectRef, *, confirmed: bool, lifetime_s: int
    ) -> None:
        self.obj = obj
        self._link = link
        self._what = f"{link.label} subscribe-cov {obj}"
        self._context = _OwnerRenewedContext(
            link.stack.app,
            Address(link.address),
            ObjectIdentifier(str(obj)),
            link.stack.next_process_id(),
            confirmed,
            lifetime_s,
        )
        self._open = False

    async def start(self) -> None:
        """Subscribe, and take notifications from now on."""
        self._link.stack.requests["subscribe_cov"] += 1
        await self._link._ask(self._what, self._context.__aenter__)
        self._open = True

    async def renew(self) -> None:
        """Subscribe again: extends the lifetime, or re-creates it on a device that lost it."""
        self._link.stack.requests["subscribe_cov"] += 1
        await self._link._ask(self._what, self._context.refresh_subscription)

    async def next_values(self) -> dict[str, object]:
        """The property values of the next notification (present-value, status-flags, ...)."""
        context = self._context
        values: dict[str, object] = {}
        prop, value = await context.get_value()
        values[str(prop)] = _decoded(value)
        while not context.queue.empty():  # the rest of the same notification
            prop, value = await context.get_value()
            values[str(prop)] = _decoded(value)
        return values

    async def close(self) -> None:
        """Stop taking notifications; the device lets the subscription lapse at its lifetime."""
        if self._open:
            self._open = False
            # exiting with an exception only unregisters; a clean exit would also send a
            # cancellation, which a device that is gone would never answer
            error = ConnectionAbortedError("subscription closed")
            await self._context.__aexit__(type(error), error, None)


def check_bindable(local: LocalAddress) -> None:
    """BacnetBindError unless this host can bind the address (and its broadcast listener)."""
    wanted = [local.host] + ([local.broadcast] if local.broadcast is not None else [])
    for host in wanted:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((host, local.port))
            except OSError as exc:
                raise BacnetBindError(f"cannot bind {host}:{local.port}: {exc}") from exc


def _failure(what: str, answer: ErrorRejectAbortNack) -> BacnetFailure:
    if isinstance(answer, ErrorPDU):
        return BacnetError(
            what,
            str(getattr(answer, "errorClass", "error")),
            str(getattr(answer, "errorCode", answer)),
        )
    reason = str(getattr(answer, "apduAbortRejectReason", answer))
    if isinstance(answer, RejectPDU):
        return BacnetReject(what, reason)
    if isinstance(answer, AbortPDU) and reason == "no-response":
        return BacnetTimeout(what, "no answer")
    return BacnetAbort(what, reason)


def _i_am(answer: Any) -> IAm:
    return IAm(
        instance=int(answer.iAmDeviceIdentifier[1]),
        address=str(answer.pduSource),
        max_apdu=int(answer.maxAPDULengthAccepted),
        segmentation=str(answer.segmentationSupported),
        vendor_id=int(answer.vendorID),
    )


def _result(row: tuple[Any, Any, Any, Any]) -> PropertyResult:
    objid, prop, _index, value = row
    obj = ObjectRef(str(objid[0]), int(objid[1]))
    if isinstance(value, ErrorType):
        return PropertyResult(obj, str(prop), error=f"{value.errorClass}: {value.errorCode}")
    if value is None:
        return PropertyResult(obj, str(prop), Undecoded(f"bacpypes3 cannot decode {prop}"))
    return PropertyResult(obj, str(prop), value)


def _sentinel(value: object) -> object:
    """bacpypes3 answers '-no object class-' or '-no property type-' when it cannot decode."""
    if value is None or (type(value) is str and value.startswith("-no ")):
        return Undecoded(f"bacpypes3 cannot decode the answer ({value})")
    return value


def _decoded(value: object) -> object:
    if isinstance(value, Exception):  # get_value() hands back its DecodingError
        return Undecoded(f"bacpypes3 cannot decode the notification: {value}")
    return value


RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024


def _enlarge_receive_buffer(transport: object) -> None:
    """A burst of COV notifications (hundreds of small datagrams) must not overflow the
    socket's default buffer (about 256 datagrams), where unconfirmed ones would be lost."""
    get_extra_info = getattr(transport, "get_extra_info", None)
    sock = get_extra_info("socket") if callable(get_extra_info) else None
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    except OSError as exc:
        log.info("could not enlarge the BACnet receive buffer: %s", exc)
