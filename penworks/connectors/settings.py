"""What the connectors' config models share: strict models, ids, reconnect pacing."""

from __future__ import annotations

from pydantic import Field, model_validator

from penworks.model.schema import LOCAL_ID, Strict

__all__ = ["LOCAL_ID", "ReconnectSettings", "Strict"]


class ReconnectSettings(Strict):
    """How a connector paces its reconnection attempts (wall seconds, jittered)."""

    reconnect_initial_s: float = Field(
        0.5, gt=0, description="First wait before reconnecting to a device that failed"
    )
    reconnect_max_s: float = Field(
        30.0, gt=0, description="Longest wait between reconnection attempts"
    )

    @model_validator(mode="after")
    def _ordered_waits(self) -> ReconnectSettings:
        if self.reconnect_initial_s > self.reconnect_max_s:
            raise ValueError(
                f"reconnect_initial_s {self.reconnect_initial_s} is above "
                f"reconnect_max_s {self.reconnect_max_s}"
            )
        return self
