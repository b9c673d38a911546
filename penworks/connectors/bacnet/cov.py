"""COV: one object's change-of-value subscription, kept alive, its notifications published.

The subscription asks for confirmed or unconfirmed notifications as the device's config says
(confirmed by default: the device retries until the connector acknowledges) with the device's
cov_lifetime_s, and is renewed at 80% of it. While an object is not subscribed its points are
polled with the rest of the device; a device that refuses COV for an object (an Error or a
Reject) leaves it polled for good. A subscription whose renewal gets no answer is taken as
lost and subscribed again with backoff. A device that restarts forgets its subscriptions
without a word: the session calls `resubscribe()` when a device answers again after failing,
and the renewal at 80% bounds the loss for a restart that nobody noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence

from penworks.connectors.bacnet.config import BacnetDeviceConfig
from penworks.connectors.bacnet.errors import BacnetError, BacnetFailure, BacnetReject
from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.points import PRESENT_VALUE, STATUS_FLAGS, BoundPoint
from penworks.connectors.bacnet.publish import Publisher
from penworks.connectors.bacnet.stack import CovSubscription, DeviceLink
from penworks.connectors.bacnet.values import quality, status_flags
from penworks.core.backoff import Backoff

log = logging.getLogger(__name__)

RENEW_AT = 0.8  # of the lifetime
# Error classes that say "not for this object"; others (resources: a full subscription
# table, device, communication) may pass, and are tried again.
REFUSING_CLASSES = frozenset({"services", "object", "property"})


def refusal(exc: BacnetFailure) -> bool:
    """Whether a device's answer to SubscribeCOV means never, rather than not now."""
    if isinstance(exc, BacnetReject):
        return True
    return isinstance(exc, BacnetError) and exc.error_class in REFUSING_CLASSES


class CovFollower:
    """Keeps one object subscribed and turns its notifications into observations."""

    def __init__(
        self,
        obj: ObjectRef,
        points: Sequence[BoundPoint],
        config: BacnetDeviceConfig,
        publisher: Publisher,
        counts: Counter[str],
    ) -> None:
        self.obj = obj
        self.points = tuple(points)
        self.subscribed = False
        self.refused: str | None = None  # the device's reason, once it refused
        self._config = config
        self._publisher = publisher
        self._counts = counts
        self._wake = asyncio.Event()

    def resubscribe(self) -> None:
        """Renew now (the device may have restarted and lost the subscription)."""
        self._wake.set()

    async def run(self, link: DeviceLink) -> None:
        """Subscribe and stay subscribed until cancelled, or until the device refuses."""
        lifetime = self._config.cov_lifetime_s
        backoff = Backoff(min(1.0, lifetime / 10), max(1.0, lifetime * RENEW_AT))
        while self.refused is None:
            subscription = link.subscription(
                self.obj, confirmed=self._config.cov_confirmed, lifetime_s=lifetime
            )
            try:
                await self._start(subscription)
            except BacnetFailure as exc:
                log.debug("%s: COV of %s not (yet) subscribed: %s", link.label, self.obj, exc)
            else:
                backoff.reset()
                try:
                    await self._hold(subscription)
                finally:
                    self.subscribed = False
                    await subscription.close()
            if self.refused is None:
                await self._pause(backoff.next_delay())
        log.warning("%s: %s refused COV (%s): polled instead", link.label, self.obj, self.refused)

    async def _start(self, subscription: CovSubscription) -> None:
        try:
            await subscription.start()
        except BacnetFailure as exc:
            if refusal(exc):
                self._refuse(exc)
            raise
        self._counts["cov_subscribed"] += 1
        self.subscribed = True

    async def _hold(self, subscription: CovSubscription) -> None:
        """Take notifications and renew, until a renewal fails."""
        async with asyncio.TaskGroup() as tasks:
            taking = tasks.create_task(self._take(subscription), name=f"cov-{self.obj}")
            try:
                await self._renew(subscription)
            finally:
                taking.cancel()

    async def _renew(self, subscription: CovSubscription) -> None:
        while True:
            await self._pause(self._config.cov_lifetime_s * RENEW_AT)
            try:
                await subscription.renew()
            except BacnetFailure as exc:
                if refusal(exc):
                    self._refuse(exc)
                else:
                    self._counts["cov_lost"] += 1
                    log.info("%s: COV renewal failed, subscribing again: %s", self.obj, exc)
                return
            self._counts["cov_renewed"] += 1

    async def _take(self, subscription: CovSubscription) -> None:
        while True:
            values = await subscription.next_values()
            self._counts["cov_notifications"] += 1
            if PRESENT_VALUE not in values:
                continue
            flags = status_flags(values.get(STATUS_FLAGS))
            for bp in self.points:
                await self._publisher.reading(bp, values[PRESENT_VALUE], quality(flags))

    def _refuse(self, exc: BacnetFailure) -> None:
        self.refused = exc.reason
        self._counts["cov_refused"] += 1

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds` (wall time: it paces the network), or until resubscribe()."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()
