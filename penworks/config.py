"""The platform's configuration file: which site, where data lives, bus, store, connectors, API.

Every model forbids unknown keys; relative paths are relative to the config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, field_validator, model_validator

from penworks.auth import SharingConfig
from penworks.connectors.bacnet.config import BacnetConnectorConfig
from penworks.connectors.modbus.config import ModbusConnectorConfig
from penworks.connectors.opcua.config import OpcuaConnectorConfig
from penworks.connectors.settings import Strict
from penworks.core.repeats import repeated
from penworks.core.yamlfile import load_yaml_model
from penworks.model.schema import MqttBinding
from penworks.rules.alarms import AlarmSettings

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


class AutomationConfig(Strict):
    """Commands, rules, alarms, schedules and notifications: which files say what."""

    timezone: str = Field(
        "Asia/Shanghai", description="The site's time zone: schedules and rule times of day"
    )
    control: Path | None = Field(
        None,
        description="Control policy file: permissions, point limits and rate limits, "
        "interlocks (none: the built-in permissions, no interlocks)",
    )
    rules: list[Path] = Field(default_factory=list, description="Rule files, loaded as one set")
    schedules: Path | None = Field(None, description="Schedules and holiday calendars file")
    notifications: Path | None = Field(
        None, description="Notification channels, recipients, routes and escalation file"
    )
    alarms: AlarmSettings = Field(
        default_factory=AlarmSettings, description="Alarm flood, chatter and shelving limits"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    def resolved(self, base: Path) -> AutomationConfig:
        def absolute(path: Path) -> Path:
            return (path if path.is_absolute() else base / path).resolve()

        return self.model_copy(
            update={
                "control": absolute(self.control) if self.control else None,
                "rules": [absolute(p) for p in self.rules],
                "schedules": absolute(self.schedules) if self.schedules else None,
                "notifications": absolute(self.notifications) if self.notifications else None,
            }
        )


class AppConfig(Strict):
    """One smart app: whether it runs, its command priority and its own settings."""

    enabled: bool = Field(True, description="Whether the platform runs this app")
    priority: int = Field(
        10,
        ge=9,
        le=16,
        description="The priority level of the app's commands (9..16; the control file's "
        "permission for apps decides which of them it may use, by default 10..16)",
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The app's settings, checked against its own schema"
    )


AppId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


def site_automation(site: Path, timezone: str = "Asia/Shanghai") -> AutomationConfig:
    """The automation files a site keeps next to it, in `<site stem>/automation/`
    (control.yaml, rules.yaml, schedules.yaml, notifications.yaml): those that exist."""
    folder = site.parent / site.stem / "automation"

    def found(name: str) -> Path | None:
        path = folder / name
        return path.resolve() if path.is_file() else None

    rules = found("rules.yaml")
    return AutomationConfig(
        timezone=timezone,
        control=found("control.yaml"),
        rules=[rules] if rules is not None else [],
        schedules=found("schedules.yaml"),
        notifications=found("notifications.yaml"),
    )


def site_sharing(site: Path) -> SharingConfig:
    """What a site shares with every tenant, from `<site stem>/automation/sharing.yaml`
    when it has one (nothing otherwise)."""
    path = site.parent / site.stem / "automation" / "sharing.yaml"
    return load_yaml_model(path, SharingConfig) if path.is_file() else SharingConfig()


class PlatformConfig(Strict):
    """The whole configuration of a platform process."""

    site: Path = Field(DEFAULT_SITE, description="Site model file (YAML)")
    data_dir: Path = Field(Path("data"), description="Where history and state are kept")
    bus: MemoryBusConfig = Field(default_factory=MemoryBusConfig)
    store: SqliteStoreConfig = Field(default_factory=SqliteStoreConfig)
    connectors: list[ConnectorConfig] = Field(default_factory=list)
    api: ApiConfig = Field(default_factory=ApiConfig)
    automation: AutomationConfig = Field(default_factory=AutomationConfig)
    access: SharingConfig = Field(
        default_factory=SharingConfig,
        description="What every tenant's users may see besides their own spaces",
    )
    apps: dict[AppId, AppConfig] = Field(
        default_factory=dict,
        description="Smart apps to run, by app id (none by default); an id no installed app "
        "has, or settings its schema refuses, stop the start",
    )

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
            update={
                "site": site.resolve(),
                "data_dir": data.resolve(),
                "connectors": connectors,
                "automation": self.automation.resolved(base),
            }
        )

    @property
    def history_path(self) -> Path:
        path = self.store.path
        return path if path.is_absolute() else self.data_dir / path

    @property
    def journal_path(self) -> Path:
        """Where the audit log, alarm transitions and notifications are kept."""
        return self.data_dir / "journal.db"


def load_platform_config(path: Path) -> PlatformConfig:
    """Read a platform config file; paths in it are relative to the file."""
    config = load_yaml_model(path, PlatformConfig)
    return config.resolved(path.resolve().parent)
