"""The platform's configuration file: which site, where data lives, bus, store, connectors, API.

Every model forbids unknown keys; relative paths are relative to the config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from penworks.connectors.bacnet.config import BacnetConnectorConfig
from penworks.connectors.modbus.config import ModbusConnectorConfig
from penworks.connectors.opcua.config import OpcuaConnectorConfig
from penworks.connectors.settings import Strict
from penworks.core.repeats import repeated
from penworks.core.yamlfile import load_yaml_model
from penworks.model.schema import MqttBinding

DEFAULT_SITE = Path(__file__).resolve().parent.parent / "sites" / "building15.yaml"


class MemoryBusConfig(Strict):
    type: Literal["memory"] = Field("memory", description="In-process bus (one process)")
    queue_size: int = Field(100_000, ge=100, description="Bound of each subscriber's queue")


class SqliteStoreConfig(Strict):
    type: Literal["sqlite"] = Field("sqlite", description="SQLite file in the data directory")
    path: Path = Field(Path("history.db"), description="Relative to data_dir")


class MqttConnectorConfig(Strict):
    type: Literal["mqtt"] = Field(description="Connector kind")
    name: str = Field(
        "mqtt", pattern=r"^[a-z][a-z0-9_]*$", description="Name in health and dead letters"
    )
    url: str = Field(
        "mqtt://127.0.0.1:1883", pattern=r"^mqtt://[^/:]+(:\d+)?/?$", description="Broker URL"
    )
    watch: list[str] = Field(
        default_factory=list,
        description="Extra topic filters to listen on, so that data on topics no point binds "
        "is kept as dead letters instead of going unseen (e.g. b15/#)",
    )
    client_id: str | None = Field(None, description="MQTT client id (random when unset)")
    qos: int = Field(1, ge=0, le=2, description="Subscription QoS")

    def reaches(self, binding: object) -> bool:
        """Every MQTT binding: topics are the broker's, not a device list's."""
        return isinstance(binding, MqttBinding)


ConnectorConfig = Annotated[
    MqttConnectorConfig | ModbusConnectorConfig | BacnetConnectorConfig | OpcuaConnectorConfig,
    Field(discriminator="type"),
]


class ApiConfig(Strict):
    host: str = Field("127.0.0.1", description="Address to listen on")
    port: int = Field(8015, ge=0, le=65535, description="Port (0 picks a free one)")


class PlatformConfig(Strict):
    """The whole configuration of a platform process."""

    site: Path = Field(DEFAULT_SITE, description="Site model file (YAML)")
    data_dir: Path = Field(Path("data"), description="Where history and state are kept")
    bus: MemoryBusConfig = Field(default_factory=MemoryBusConfig)
    store: SqliteStoreConfig = Field(default_factory=SqliteStoreConfig)
    connectors: list[ConnectorConfig] = Field(default_factory=list)
    api: ApiConfig = Field(default_factory=ApiConfig)

    @model_validator(mode="after")
    def _unique_connector_names(self) -> PlatformConfig:
        twice = repeated(c.name for c in self.connectors)
        if twice:
            raise ValueError(f"connector names must be unique; repeated: {', '.join(twice)}")
        return self

    def resolved(self, base: Path) -> PlatformConfig:
        """The same config with relative paths made absolute against `base`."""
        site = self.site if self.site.is_absolute() else base / self.site
        data = self.data_dir if self.data_dir.is_absolute() else base / self.data_dir
        connectors = [
            c.resolved(base) if isinstance(c, OpcuaConnectorConfig) else c for c in self.connectors
        ]
        return self.model_copy(
            update={"site": site.resolve(), "data_dir": data.resolve(), "connectors": connectors}
        )

    @property
    def history_path(self) -> Path:
        path = self.store.path
        return path if path.is_absolute() else self.data_dir / path


def load_platform_config(path: Path) -> PlatformConfig:
    """Read a platform config file; paths in it are relative to the file."""
    config = load_yaml_model(path, PlatformConfig)
    return config.resolved(path.resolve().parent)
