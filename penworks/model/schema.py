"""The site file's schema: site > buildings > floors > spaces > equipment > points.

Every model forbids unknown keys so a typo fails at load time with its place in the file.
Ids are local (lower snake case); the full id of anything is the dotted path of local ids
from its building down, e.g. ``b15.f3.r301.zone_air_temp``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from penworks.core import PointKind

LOCAL_ID = r"^[a-z][a-z0-9_]*$"
FULL_ID = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
BRICK_CLASS = r"^[A-Z][A-Za-z0-9_]*(\.[0-9][A-Za-z0-9_]*)?$"  # PM2.5_Sensor has a dot


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(Strict):
    """Engineering limits of a point.

    Values outside are refused as commands and flagged as readings.
    """

    min: float | None = Field(None, description="Lowest valid value")
    max: float | None = Field(None, description="Highest valid value")

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class MqttBinding(Strict):
    """Where an MQTT device publishes the point, and where commands to it go."""

    connector: Literal["mqtt"] = Field(description="Connector that owns the point")
    topic: str = Field(min_length=1, description="Topic the device publishes on (no wildcards)")
    path: str = Field(
        "$", description="JSON path into the payload: $ (whole payload), $.a.b or $.a[0].b"
    )
    scale: float = Field(1.0, description="value = raw * scale + offset (numbers only)")
    offset: float = Field(0.0, description="value = raw * scale + offset (numbers only)")
    unit: str | None = Field(None, description="Unit the device sends in, if not the point's")
    command_topic: str | None = Field(
        None, description="Topic to publish commands on; None means not commandable over MQTT"
    )
    command_key: str = Field(
        "value", description="Key of the command JSON object that carries the value"
    )
    ts_path: str | None = Field(
        None,
        description="JSON path of the device's timestamp (ISO 8601 or epoch seconds); "
        "None stamps the time of receipt",
    )

    @field_validator("topic", "command_topic")
    @classmethod
    def _no_wildcards(cls, v: str | None) -> str | None:
        if v is not None and ("+" in v or "#" in v):
            raise ValueError("a point's topic must not contain MQTT wildcards (+ or #)")
        return v


ModbusType = Literal["int16", "uint16", "int32", "uint32", "float32", "float64", "bit"]
ByteOrder = Literal["big", "little"]


class ModbusBinding(Strict):
    """Where a point lives in a Modbus device's register map.

    Function codes 1 (coils) and 3 (holding registers) can be written (5/15 and 6/16);
    2 (discrete inputs) and 4 (input registers) are read-only.
    """

    connector: Literal["modbus"] = Field(description="Connector that owns the point")
    device: str = Field(pattern=LOCAL_ID, description="Device name in the modbus connector config")
    function: Literal[1, 2, 3, 4] = Field(
        3, description="Read function: 1 coils, 2 discrete inputs, 3 holding, 4 input registers"
    )
    address: int = Field(ge=0, le=65535, description="Zero-based address (register or bit)")
    type: ModbusType = Field("uint16", description="Data type of the register(s)")
    bit: int | None = Field(
        None, ge=0, le=15, description="For type bit in a register (functions 3 and 4): which bit"
    )
    word_order: ByteOrder = Field("big", description="Order of 16-bit words in 32/64-bit types")
    byte_order: ByteOrder = Field("big", description="Order of the two bytes in each word")
    scale: float = Field(1.0, description="value = raw * scale + offset (numbers only)")
    offset: float = Field(0.0, description="value = raw * scale + offset (numbers only)")
    unit: str | None = Field(None, description="Unit the device reports in, if not the point's")

    @model_validator(mode="after")
    def _bits(self) -> ModbusBinding:
        if self.function in (1, 2) and self.type != "bit":
            raise ValueError("functions 1 and 2 read bits: use type bit")
        if self.function in (1, 2) and self.bit is not None:
            raise ValueError("bit selects a bit of a register; coils and inputs are single bits")
        if self.function in (3, 4) and self.type == "bit" and self.bit is None:
            raise ValueError("type bit in a register needs bit: 0..15")
        if self.type != "bit" and self.bit is not None:
            raise ValueError("bit is only for type bit")
        return self

    @property
    def count(self) -> int:
        """Registers (or bits) the value spans."""
        return {"int32": 2, "uint32": 2, "float32": 2, "float64": 4}.get(self.type, 1)

    @property
    def writable(self) -> bool:
        return self.function in (1, 3)


class BacnetBinding(Strict):
    """A property of an object of a BACnet device."""

    connector: Literal["bacnet"] = Field(description="Connector that owns the point")
    device: int = Field(ge=0, le=4194302, description="Device instance number")
    object: str = Field(
        pattern=r"^[a-z][a-z-]*,[0-9]+$",
        description="Object identifier as type,instance, e.g. analog-input,1",
    )
    property: str = Field(
        "present-value",
        pattern=r"^[a-z][a-z-]*$",
        description="Property to read, e.g. present-value",
    )
    cov: bool = Field(
        False, description="Subscribe to change-of-value notifications instead of polling"
    )
    write_priority: int = Field(
        16, ge=1, le=16, description="Priority of writes when the command gives none (1-16)"
    )


class OpcuaBinding(Strict):
    """A variable node of an OPC UA server."""

    connector: Literal["opcua"] = Field(description="Connector that owns the point")
    server: str = Field(pattern=LOCAL_ID, description="Server name in the opcua connector config")
    node: str = Field(
        pattern=r"^(ns=\d+;)?[isgb]=.+$",
        description="NodeId, e.g. ns=2;s=Lift1.Position or ns=2;i=1001",
    )
    subscribe: bool = Field(True, description="Monitored item (True) or polled read (False)")
    deadband: float | None = Field(
        None, ge=0, description="Absolute deadband: changes smaller than this are not reported"
    )
    sampling_ms: float | None = Field(
        None, ge=0, description="Sampling interval of the monitored item (server default if unset)"
    )
    scale: float = Field(1.0, description="value = raw * scale + offset (numbers only)")
    offset: float = Field(0.0, description="value = raw * scale + offset (numbers only)")


HealthField = Literal["online", "comm_loss", "state", "latency_ms", "errors"]


class HealthBinding(Strict):
    """A point that shows how a device is doing, as its connector reports it.

    `online` and `comm_loss` are bools, `state` is online/degraded/offline, `latency_ms` the
    latency of the last read and `errors` the errors counted since start.
    """

    connector: Literal["health"] = Field(description="Device health, reported by connectors")
    source: str = Field(pattern=LOCAL_ID, description="Name of the connector that reports it")
    device: str = Field(
        min_length=1, description="Device as that connector names it (device name or instance)"
    )
    field: HealthField = Field(description="online, comm_loss, state, latency_ms or errors")


class ScheduleBinding(Strict):
    """A bool point that is on while a schedule of the schedules file is on."""

    connector: Literal["schedule"] = Field(description="Schedules, published by the platform")
    schedule: str = Field(pattern=LOCAL_ID, description="Id of a schedule in the schedules file")


Binding = Annotated[
    MqttBinding | ModbusBinding | BacnetBinding | OpcuaBinding | HealthBinding | ScheduleBinding,
    Field(discriminator="connector"),
]


class PointDef(Strict):
    """A point: one value of the building that can be read (and maybe written)."""

    id: str = Field(pattern=LOCAL_ID, description="Local id, unique within its holder")
    name: str | None = Field(None, description="Human name")
    brick: str = Field(
        pattern=BRICK_CLASS, description="Brick class, e.g. Zone_Air_Temperature_Sensor"
    )
    kind: PointKind = Field(PointKind.NUMBER, description="number, bool or text")
    unit: str | None = Field(None, description="Unit symbol, e.g. degC, %, ppm, kW, kWh")
    writable: bool = Field(False, description="Whether commands may be written to it")
    limits: Limits | None = Field(None, description="Engineering limits")
    binding: Binding | None = Field(None, description="How a connector reaches it")


class EquipmentDef(Strict):
    """A piece of equipment, with its points, its parts and what it feeds."""

    id: str = Field(pattern=LOCAL_ID)
    name: str | None = None
    brick: str = Field(
        pattern=BRICK_CLASS, description="Brick class, e.g. VAV, AHU, Electrical_Meter"
    )
    feeds: list[str] = Field(
        default_factory=list, description="Full ids of equipment or spaces this one feeds"
    )
    points: list[PointDef] = Field(default_factory=list)
    parts: list[EquipmentDef] = Field(default_factory=list, description="Sub-equipment (hasPart)")
    template: str | None = Field(None, description="Template whose points/parts are added")
    vars: dict[str, str] = Field(default_factory=dict, description="Template variables")


class SpaceDef(Strict):
    """A room, zone or other space on a floor."""

    id: str = Field(pattern=LOCAL_ID)
    name: str | None = None
    brick: str = Field(
        "Space", pattern=BRICK_CLASS, description="Brick class, e.g. Office, Conference_Room"
    )
    area_m2: float | None = Field(None, gt=0)
    polygon: list[tuple[float, float]] | None = Field(
        None, description="Floor-plan outline in metres, floor coordinates"
    )
    tenant: str | None = Field(None, description="Tenant id that occupies the space")
    points: list[PointDef] = Field(default_factory=list)
    equipment: list[EquipmentDef] = Field(default_factory=list, description="Located here")
    template: str | None = None
    vars: dict[str, str] = Field(default_factory=dict)

    @field_validator("polygon")
    @classmethod
    def _polygon(cls, v: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if v is not None and len(v) < 3:
            raise ValueError("a polygon needs at least 3 corners")
        return v


class FloorDef(Strict):
    id: str = Field(pattern=LOCAL_ID)
    name: str | None = None
    brick: str = Field("Floor", pattern=BRICK_CLASS, description="Floor, Basement, Roof, ...")
    level: int = Field(description="0 ground, negative below ground")
    spaces: list[SpaceDef] = Field(default_factory=list)
    equipment: list[EquipmentDef] = Field(default_factory=list)
    points: list[PointDef] = Field(default_factory=list)


class BuildingDef(Strict):
    id: str = Field(pattern=LOCAL_ID)
    name: str | None = None
    brick: str = Field("Building", pattern=BRICK_CLASS)
    area_m2: float | None = Field(None, gt=0)
    floors: list[FloorDef] = Field(default_factory=list)
    equipment: list[EquipmentDef] = Field(default_factory=list)
    points: list[PointDef] = Field(default_factory=list)


class TenantDef(Strict):
    id: str = Field(pattern=LOCAL_ID)
    name: str


class TemplateDef(Strict):
    """Reusable points and parts, stamped into an equipment or space by `template:`.

    Strings in a template may use {id} (full id of the holder), {topic} (that id with '/' for
    '.'), {local} (its local id) and {name} (its name, else its local id), plus any key of the
    holder's `vars`; {{ and }} are literal braces.
    """

    points: list[PointDef] = Field(default_factory=list)
    parts: list[EquipmentDef] = Field(default_factory=list)
    equipment: list[EquipmentDef] = Field(default_factory=list, description="For spaces only")


class SiteDef(Strict):
    """The whole site file."""

    id: str = Field(pattern=LOCAL_ID)
    name: str
    timezone: str = Field("UTC", description="IANA time zone of the site")
    brick_version: str = Field("1.4", description="Brick version used for classes: 1.1 .. 1.5")
    tenants: list[TenantDef] = Field(default_factory=list)
    templates: dict[str, TemplateDef] = Field(default_factory=dict)
    buildings: list[BuildingDef] = Field(min_length=1)
    include: list[str] = Field(
        default_factory=list,
        description="Fragment files (relative to this one) whose templates, spaces and placed "
        "equipment are merged in: one file per system keeps a large site readable",
    )
