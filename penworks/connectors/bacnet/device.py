"""One configured device: found, polled, followed by COV, written to; its health reported.

A device with an address is used at that address; one without is found by a global Who-Is for
its instance, retried with backoff (offline meanwhile), and looked for again once it has gone
offline (its address may have changed). Polls run every poll_s of wall time (they pace the
network, not the building); a poll that gets no answer marks the device's points bad, makes it
degraded and, after offline_after such polls in a row, offline, and the next polls follow a
jittered backoff. A device that answers while refusing some points is degraded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence

from penworks.connectors.bacnet.config import BacnetDeviceConfig
from penworks.connectors.bacnet.cov import CovFollower
from penworks.connectors.bacnet.errors import BacnetError, BacnetFailure, BacnetTimeout
from penworks.connectors.bacnet.objects import Command, ObjectRef
from penworks.connectors.bacnet.points import (
    OUT_OF_SERVICE,
    PRESENT_VALUE,
    PRIORITY_ARRAY,
    STATUS_FLAGS,
    BoundPoint,
    by_object,
    properties,
)
from penworks.connectors.bacnet.poll import ObjectReading, Poller, Request, batch_for
from penworks.connectors.bacnet.publish import Publisher
from penworks.connectors.bacnet.stack import BacnetStack, DeviceLink
from penworks.connectors.bacnet.values import quality, status_flags
from penworks.connectors.base import DeviceState
from penworks.connectors.health import DeviceHealthTracker
from penworks.core import CommandRejected, ConnectorError, Observation
from penworks.core.backoff import Backoff

log = logging.getLogger(__name__)

HEARTBEAT = "system-status"  # what a poll reads when COV reports every point


class DeviceSession:
    """The connector's side of one device."""

    def __init__(
        self,
        config: BacnetDeviceConfig,
        points: Sequence[BoundPoint],
        *,
        publisher: Publisher,
        tracker: DeviceHealthTracker,
        counts: Counter[str],
        check_identity: bool,
    ) -> None:
        self.config = config
        self.name = str(config.instance)  # as health reports name it
        self.link: DeviceLink | None = None
        self._objects = by_object(points)
        # What a poll reads of each object: everything, or what COV does not report.
        self._asked = {obj: properties(bound) for obj, bound in self._objects.items()}
        self._asked_besides_cov = {
            obj: properties(rest)
            for obj, bound in self._objects.items()
            if (rest := [bp for bp in bound if not bp.binding.cov])
        }
        self._publisher = publisher
        self._tracker = tracker
        self._counts = counts
        self._check_identity = check_identity
        self._poller = Poller()
        self._silent = False  # the last poll got no answer
        self._commandable: dict[ObjectRef, bool] = {}
        self._followers = {
            obj: CovFollower(obj, cov, config, publisher, counts)
            for obj, bound in self._objects.items()
            if (cov := [bp for bp in bound if bp.binding.cov])
        }

    def subscribed_objects(self) -> int:
        """Objects whose points COV reports now."""
        return sum(f.subscribed for f in self._followers.values())

    # -- running ---------------------------------------------------------------------------

    async def run(self, stack: BacnetStack) -> None:
        """Find the device, then poll and follow it, until cancelled."""
        try:
            while True:
                self.link = await self._locate(stack)
                await self._serve(self.link)
        finally:
            self.link = None

    async def _locate(self, stack: BacnetStack) -> DeviceLink:
        config = self.config
        if config.address is not None:
            link = self._link(stack, config.address)
            if self._check_identity:
                await self._identify(stack, link)
            return link
        backoff = Backoff(min(config.poll_s, 1.0), max(config.poll_s, 60.0))
        await self._tracker.offline(self.name, f"looking for device {config.instance} by Who-Is")
        cannot: str | None = None
        while True:
            try:
                answers = await stack.who_is(
                    address=None, low=config.instance, high=config.instance,
                    timeout_s=config.timeout_s,
                )  # fmt: skip
            except BacnetFailure as exc:
                answers = []
                if exc.reason != cannot:  # say it once, not at every try
                    cannot = exc.reason
                    detail = f"cannot look for device {config.instance} by Who-Is: {cannot}"
                    await self._tracker.offline(self.name, detail)
            if answers:
                log.info("device %s found at %s", config.instance, answers[0].address)
                self._poller.batch = batch_for(answers[0].max_apdu)
                return self._link(stack, answers[0].address)
            await asyncio.sleep(backoff.next_delay())

    def _link(self, stack: BacnetStack, address: str) -> DeviceLink:
        config = self.config
        return stack.link(
            address, timeout_s=config.timeout_s, retries=config.retries, label=f"device {self.name}"
        )

    async def _identify(self, stack: BacnetStack, link: DeviceLink) -> None:
        """Ask who answers at the address: its size for batches, a mismatch for the log."""
        try:
            answers = await stack.who_is(address=link.address, timeout_s=self.config.timeout_s)
        except BacnetFailure as exc:
            log.info("%s: no answer to Who-Is at %s: %s", link.label, link.address, exc)
            return
        for answer in answers:
            self._poller.batch = batch_for(answer.max_apdu)
            if answer.instance != self.config.instance:
                log.warning(
                    "%s: %s answers as device %d, not %d: check the address",
                    link.label, link.address, answer.instance, self.config.instance,
                )  # fmt: skip

    async def _serve(self, link: DeviceLink) -> None:
        """Poll and follow COV until the device is lost (offline, and to be looked for)."""
        async with asyncio.TaskGroup() as tasks:
            following = [
                tasks.create_task(f.run(link), name=f"bacnet-cov-{self.name}-{obj}")
                for obj, f in self._followers.items()
            ]
            try:
                await self._poll_until_lost(link)
            finally:
                for task in following:
                    task.cancel()

    async def _poll_until_lost(self, link: DeviceLink) -> None:
        config = self.config
        backoff = Backoff(min(config.poll_s, 1.0), max(config.poll_s, 30.0))
        while True:
            started = time.monotonic()
            if await self.poll(link):
                backoff.reset()
                delay = config.poll_s - (time.monotonic() - started)
            elif self._lost():
                return
            else:
                delay = backoff.next_delay()
            await asyncio.sleep(max(0.0, delay))

    def _lost(self) -> bool:
        offline = self._tracker.device(self.name).state is DeviceState.OFFLINE
        return offline and self.config.address is None

    # -- polling ---------------------------------------------------------------------------

    async def poll(self, link: DeviceLink) -> bool:
        """Read every point COV does not report; whether the device answered."""
        requests = [(obj, props) for obj in self._objects if (props := self._polled(obj))]
        return await self._read(link, requests, whole=True)

    async def read_now(self, bp: BoundPoint) -> Observation | None:
        """Read the point's object now; the point's freshest observation."""
        link = self.link
        if link is not None:
            await self._read(link, [(bp.obj, self._asked[bp.obj])], whole=False)
        return self._publisher.latest(bp.point.id)

    def _polled(self, obj: ObjectRef) -> tuple[str, ...]:
        """The properties a poll reads of an object (none while COV reports all its points)."""
        follower = self._followers.get(obj)
        if follower is None or not follower.subscribed:
            return self._asked[obj]
        return self._asked_besides_cov.get(obj, ())

    async def _read(self, link: DeviceLink, requests: list[Request], *, whole: bool) -> bool:
        """Read and publish; a `whole` poll also says how the device is doing when it answers.

        A read of one object says nothing of the rest, so it would only blur the device's
        state; silence, though, counts towards offline whatever was asked.
        """
        sent = link.stack.requests.total()
        started = time.monotonic()
        try:
            if requests:
                readings = await self._poller.read(link, requests)
            else:
                readings = []
                await self._heartbeat(link)
        except BacnetFailure as exc:
            await self._no_answer(exc)
            return False
        latency = (time.monotonic() - started) / max(1, link.stack.requests.total() - sent)
        refused = await self._publish(readings)
        if not whole:
            return True
        if self._silent:  # it failed before: it may have restarted and lost subscriptions
            for follower in self._followers.values():
                follower.resubscribe()
        self._silent = False
        if refused:
            points = "1 point" if len(refused) == 1 else f"{len(refused)} points"
            detail = f"{points} refused, e.g. {refused[0]}"
            await self._tracker.degraded(self.name, detail, latency_s=latency)
        else:
            await self._tracker.success(self.name, latency_s=latency)
        return True

    async def _heartbeat(self, link: DeviceLink) -> None:
        try:
            await link.read(ObjectRef("device", self.config.instance), HEARTBEAT)
        except BacnetError:
            pass  # an answer all the same

    async def _publish(self, readings: list[ObjectReading]) -> list[str]:
        """Observations of what was read; the points the device refused."""
        refused = []
        for reading in readings:
            flags = status_flags(reading.values.get(STATUS_FLAGS))
            good = quality(flags, reading.values.get(OUT_OF_SERVICE))
            for bp in self._objects[reading.obj]:
                if bp.prop in reading.values:
                    await self._publisher.reading(bp, reading.values[bp.prop], good)
                elif bp.prop in reading.errors:
                    refused.append(f"{bp.point.id}: {reading.errors[bp.prop]}")
                    self._counts["errors"] += 1
                    await self._publisher.bad(bp)
        return refused

    async def _no_answer(self, exc: BacnetFailure) -> None:
        self._silent = True
        self._counts["errors"] += 1
        if isinstance(exc, BacnetTimeout):
            self._counts["timeouts"] += 1
        for bound in self._objects.values():
            for bp in bound:
                await self._publisher.bad(bp)
        await self._tracker.failure(self.name, str(exc))  # offline after offline_after in a row

    # -- writing ---------------------------------------------------------------------------

    async def write(self, bp: BoundPoint, value: object, priority: int) -> None:
        """WriteProperty of present-value at `priority`, then read back and publish."""
        link = self.link
        if link is None:
            raise ConnectorError(f"{bp.point.id}: device {self.name} has not been found yet")
        await self._check_commandable(link, bp)
        try:
            await link.write(bp.obj, PRESENT_VALUE, value, priority)
        except BacnetFailure as exc:
            self._counts["write_errors"] += 1
            if isinstance(exc, BacnetTimeout):
                raise ConnectorError(f"{bp.point.id}: {exc}") from exc
            raise ConnectorError(
                f"{bp.point.id}: device {self.name} refused writing {bp.obj} at priority "
                f"{priority}: {exc.reason}"
            ) from exc
        await self.read_now(bp)

    async def _check_commandable(self, link: DeviceLink, bp: BoundPoint) -> None:
        """CommandRejected if the object has no priority-array (asked once, for values)."""
        info = bp.obj.info
        if info is None or info.command is Command.PRIORITY:
            return
        known = self._commandable.get(bp.obj)
        if known is None:
            try:
                await link.read(bp.obj, PRIORITY_ARRAY, 0)
                known = True
            except BacnetError as exc:
                if exc.error_code != "unknown-property":
                    raise ConnectorError(f"{bp.point.id}: {exc}") from exc
                known = False
            except BacnetFailure as exc:
                raise ConnectorError(f"{bp.point.id}: {exc}") from exc
            self._commandable[bp.obj] = known
        if not known:
            raise CommandRejected(
                f"{bp.point.id}: {bp.obj} of device {self.name} has no priority-array: "
                "it takes no commands at a priority"
            )
