"""The Modbus connector's config: which devices to reach, and how to poll each of them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from penworks.connectors.settings import LOCAL_ID, ReconnectSettings, Strict
from penworks.core.repeats import repeated
from penworks.model.schema import ModbusBinding


class ModbusDeviceConfig(Strict):
    """One Modbus TCP device (a unit id behind a host and port) and how it is polled."""

    name: str = Field(
        pattern=LOCAL_ID, description="Device name that bindings use and health reports show"
    )
    host: str = Field(min_length=1, description="Host name or IP address of the device or gateway")
    port: int = Field(502, ge=1, le=65535, description="TCP port")
    unit_id: int = Field(1, ge=0, le=255, description="Unit id (slave id) of the device")
    poll_s: float = Field(10.0, gt=0, description="Seconds (clock time) between polls")
    timeout_s: float = Field(2.0, gt=0, description="Seconds to wait for an answer or a connect")
    retries: int = Field(2, ge=0, le=10, description="Retries of a request that got no answer")
    max_block: int = Field(
        125,
        ge=4,
        le=125,
        description="Most registers read in one request; coils and discrete inputs read up to "
        "16 times as many bits (125 -> 2000)",
    )
    max_gap: int = Field(
        0,
        ge=0,
        le=124,
        description="Unbound registers (16 bits each for coils and inputs) a read may span to "
        "join two neighbouring points into one request",
    )
    offline_after: int = Field(
        3, ge=1, description="Failed polls in a row after which the device counts as offline"
    )


class ModbusConnectorConfig(ReconnectSettings):
    """The Modbus TCP connector: its devices, and how it reconnects to them."""

    type: Literal["modbus"] = Field(description="Connector kind")
    name: str = Field(
        "modbus", pattern=LOCAL_ID, description="Name in health reports and dead letters"
    )
    devices: list[ModbusDeviceConfig] = Field(
        default_factory=list, description="The devices this connector polls"
    )

    @model_validator(mode="after")
    def _unique_devices(self) -> ModbusConnectorConfig:
        twice = repeated(d.name for d in self.devices)
        if twice:
            raise ValueError(f"device names must be unique; repeated: {', '.join(twice)}")
        return self

    def device(self, name: str) -> ModbusDeviceConfig | None:
        return next((d for d in self.devices if d.name == name), None)

    def reaches(self, binding: object) -> bool:
        """Whether a point's binding names one of this connector's devices."""
        return isinstance(binding, ModbusBinding) and self.device(binding.device) is not None
