"""The settings of /api/live: timings and bounds per socket."""

from __future__ import annotations

from pydantic import Field

from penworks.model.schema import Strict


class LiveConfig(Strict):
    """How /api/live treats its sockets."""

    auth_timeout_s: float = Field(5.0, gt=0, description="Time a client has to authenticate")
    flush_s: float = Field(
        0.1, ge=0, description="Least time between two observation batches to one socket"
    )
    heartbeat_s: float = Field(
        20.0, gt=0, description="Time between status messages (the heartbeat) to a socket"
    )
    queue_size: int = Field(
        5000, ge=10, description="Bus messages queued per socket before the oldest are dropped"
    )
    outbox_size: int = Field(
        5000, ge=10, description="Items waiting to be sent per socket before the oldest drop"
    )
    max_points: int = Field(10_000, ge=1, description="Points one socket may follow")
    max_message_bytes: int = Field(65_536, ge=1024, description="Largest client message")
    max_errors: int = Field(
        20, ge=1, description="Refused client messages per error window before the socket closes"
    )
    error_window_s: float = Field(60.0, gt=0, description="The window max_errors counts over")
    send_timeout_s: float = Field(
        30.0, gt=0, description="Time one send may take before the client counts as gone"
    )
