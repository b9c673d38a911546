"""The bacpypes3 Application of one simulated device, and the care its COV service needs.

bacpypes3 sends a confirmed COV notification and, when the subscriber answers with an error
or not at all, raises it inside an event-loop callback, where nobody can catch it. A
subscriber that answers unknown-subscription has forgotten it (it restarted, or subscribed
again under a new process id): the device drops that subscription, as the standard lets it.
Other failures are the subscriber's trouble; the subscription runs out at its lifetime.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.app import Application

log = logging.getLogger(__name__)

FORGOTTEN = "unknown-subscription"


class DeviceApplication(Application):  # type: ignore[misc]
    """A bacpypes3 Application whose failed COV notifications are handled, not raised."""

    def cov_confirmation(self, cov: Any, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            return
        failure = future.exception()
        if failure is None:
            return
        if isinstance(failure, ErrorRejectAbortNack) and _error_code(failure) == FORGOTTEN:
            _drop(self, cov)
        else:
            log.debug("COV notification of %s not confirmed: %r", cov.obj_id, failure)


def open_application(objects: Sequence[Any]) -> Any:
    """An Application serving `objects` (a device object among them); it binds in tasks."""
    return DeviceApplication.from_object_list(list(objects))


async def bound(app: Any) -> None:
    """Once the Application's sockets are bound (bacpypes3 retries a failed bind for ever)."""
    for link_layer in app.link_layers.values():
        await asyncio.gather(*_binding(link_layer))


def close_application(app: Any) -> None:
    """Close its sockets, and end what would outlive them.

    That is a bind still being retried, the lifetime timers of its subscriptions and the
    retry timers of its transactions (a retry would send through the closed socket).
    """
    for link_layer in app.link_layers.values():
        for task in _binding(link_layer):
            task.cancel()
    for detection in list(getattr(app, "_cov_detections", {}).values()):
        for cov in list(detection.cov_subscriptions):
            detection.cancel_subscription(cov)
    asap = getattr(app, "asap", None)
    for transactions in (
        getattr(asap, "clientTransactions", []),
        getattr(asap, "serverTransactions", []),
    ):
        for transaction in transactions:
            transaction.stop_timer()
        transactions.clear()
    app.close()


def subscription_count(app: Any, obj: Any) -> int:
    """The COV subscriptions an Application holds for one of its objects."""
    detection = app._cov_detections.get(obj.objectIdentifier)
    return 0 if detection is None else len(detection.cov_subscriptions)


def _binding(link_layer: Any) -> list[asyncio.Task[Any]]:
    return list(getattr(link_layer.server, "_transport_tasks", ()))


def _error_code(failure: ErrorRejectAbortNack) -> str:
    return str(getattr(failure, "errorCode", ""))


def _drop(app: Any, cov: Any) -> None:
    detection = app._cov_detections.get(cov.obj_id)
    if detection is not None and cov in detection.cov_subscriptions:
        log.debug("subscriber %s forgot its COV subscription of %s", cov.client_addr, cov.obj_id)
        app.cancel_subscription(cov)
