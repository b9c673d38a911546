"""What a BACnet request can end in besides an answer, as ConnectorErrors that say why."""

from __future__ import annotations

from penworks.core import ConnectorError


class BacnetFailure(ConnectorError):
    """A request that got no good answer. `reason` is the device's word, or the silence."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.what = what
        self.reason = reason


class BacnetTimeout(BacnetFailure):
    """No answer within the timeout, after the retries: the device or the way to it is down."""


class BacnetError(BacnetFailure):
    """The device answered with a BACnet Error: class and code, e.g. object: unknown-object."""

    def __init__(self, what: str, error_class: str, error_code: str) -> None:
        super().__init__(what, f"{error_class}: {error_code}")
        self.error_class = error_class
        self.error_code = error_code


class BacnetReject(BacnetFailure):
    """The device rejected the request (e.g. unrecognized-service: it lacks the service)."""


class BacnetAbort(BacnetFailure):
    """The device aborted the transaction (e.g. segmentation-not-supported)."""


class BacnetBindError(ConnectorError):
    """The connector's own address cannot be bound (in use, or not an address of this host)."""
