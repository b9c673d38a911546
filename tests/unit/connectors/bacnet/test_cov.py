"""COV: which answers to SubscribeCOV leave an object polled for good."""

from __future__ import annotations

import pytest

from penworks.connectors.bacnet.cov import refusal
from penworks.connectors.bacnet.errors import (
    BacnetAbort,
    BacnetError,
    BacnetFailure,
    BacnetReject,
    BacnetTimeout,
)

WHAT = "device 1 subscribe-cov analog-value,1"


@pytest.mark.parametrize(
    ("answer", "never"),
    [
        (BacnetError(WHAT, "services", "cov-subscription-failed"), True),
        (BacnetError(WHAT, "object", "unknown-object"), True),
        (BacnetReject(WHAT, "unrecognized-service"), True),
        (BacnetError(WHAT, "resources", "no-space-to-add-list-element"), False),  # table full
        (BacnetAbort(WHAT, "other"), False),
        (BacnetTimeout(WHAT, "no answer"), False),
    ],
)
def test_refusals_are_told_from_passing_trouble(answer: BacnetFailure, never: bool) -> None:
    assert refusal(answer) is never
