"""The platform's configuration file: which site, where data lives, bus, store, connectors, API.

Every model forbids unknown keys; relative paths are relative to the config file.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from penworks.auth import SharingConfig
from penworks.bus.nats import NatsSettings, StreamLimits
from penworks.connectors.bacnet.config import BacnetConnectorConfig
from penworks.connectors.modbus.config import ModbusConnectorConfig
from penworks.connectors.opcua.config import OpcuaConnectorConfig
from penworks.connectors.settings import Strict
from penworks.core import ConfigError
from penworks.core.repeats import repeated
from penworks.core.yamlfile import load_yaml_model
from penworks.model.schema import MqttBinding
from penworks.rules.alarms import AlarmSettings
from penworks.store.postgres_settings import DEFAULT_DSN, DEFAULT_SCHEMA, PostgresSettings

DEFAULT_SITE = Path(__file__).resolve().parent.parent / "sites" / "building15.yaml"


class MemoryBusConfig(Strict):
    type: Literal["memory"] = Field("memory", description="In-process bus (one process)")
    queue_size: int = Field(100_000, ge=100, description="Bound of each subscriber's queue")


_NATS = NatsSettings()  # the bus's own defaults, in one place


class NatsStreamLimits(Strict):
    """How much of one JetStream stream the server keeps (oldest dropped first)."""

    max_age_s: float = Field(gt=0, description="Messages older than this are dropped")
    max_bytes: int = Field(ge=1 << 20, description="The stream's size limit, in bytes")

    @classmethod
    def of(cls, limits: StreamLimits) -> NatsStreamLimits:
        return cls(max_age_s=limits.max_age_s, max_bytes=limits.max_bytes)


class NatsBusConfig(Strict):
    """NATS JetStream: the bus shared by platform processes (`penworks run --role ...`)."""

    type: Literal["nats"] = Field(description="NATS JetStream")
    servers: list[Annotated[str, StringConstraints(pattern=r"^(nats|tls)://\S+$")]] = Field(
        default_factory=lambda: list(_NATS.servers),
        min_length=1,
        description="Server URLs (nats://host:port); the client reconnects forever",
    )
    connection_name: str = Field(
        _NATS.connection_name, description="Connection name in the server's monitoring"
    )
    stream_prefix: str = Field(
        _NATS.stream_prefix,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Streams are <prefix>_OBS, <prefix>_CMD, <prefix>_EVENTS",
    )
    subject_prefix: str = Field(
        _NATS.subject_prefix,
        pattern=r"^([^\s.*>]+(\.[^\s.*>]+)*)?$",
        description="A root for every subject (e.g. site1), so that several sites share a "
        "server; empty for none",
    )
    storage: Literal["file", "memory"] = Field(
        _NATS.storage, description="file keeps acknowledged messages across a server restart"
    )
    replicas: int = Field(_NATS.replicas, ge=1, le=5, description="Copies in a NATS cluster")
    observations: NatsStreamLimits = Field(
        default_factory=lambda: NatsStreamLimits.of(_NATS.observations),
        description="Observations and dead letters",
    )
    commands: NatsStreamLimits = Field(
        default_factory=lambda: NatsStreamLimits.of(_NATS.commands),
        description="Commands: keep max_age short, a stale command must not be replayed",
    )
    events: NatsStreamLimits = Field(
        default_factory=lambda: NatsStreamLimits.of(_NATS.events),
        description="Alarm, audit and app events, device health",
    )
    duplicate_window_s: float = Field(
        _NATS.duplicate_window_s,
        gt=0,
        description="A re-published observation (same point and time) is stored once within this",
    )
    ack_wait_s: float = Field(
        _NATS.ack_wait_s,
        gt=0,
        description="Durable work taken and not acknowledged within this is delivered again",
    )
    max_ack_pending: int = Field(
        _NATS.max_ack_pending, ge=1, description="Most unacknowledged messages per durable"
    )
    publish_timeout_s: float = Field(
        _NATS.publish_timeout_s,
        gt=0,
        description="A publish not stored within this raises (the spool keeps the message)",
    )
    connect_timeout_s: float = Field(
        _NATS.connect_timeout_s, gt=0, description="How long the first connection may take"
    )
    queue_size: int = Field(100_000, ge=100, description="Bound of each subscriber's queue")

    def settings(self) -> NatsSettings:
        """What NatsBus takes."""
        return NatsSettings(
            servers=tuple(self.servers),
            connection_name=self.connection_name,
            stream_prefix=self.stream_prefix,
            subject_prefix=self.subject_prefix,
            storage=self.storage,
            replicas=self.replicas,
            observations=StreamLimits(self.observations.max_age_s, self.observations.max_bytes),
            commands=StreamLimits(self.commands.max_age_s, self.commands.max_bytes),
            events=StreamLimits(self.events.max_age_s, self.events.max_bytes),
            duplicate_window_s=self.duplicate_window_s,
            ack_wait_s=self.ack_wait_s,
            max_ack_pending=self.max_ack_pending,
            publish_timeout_s=self.publish_timeout_s,
            connect_timeout_s=self.connect_timeout_s,
        )


BusConfig = Annotated[MemoryBusConfig | NatsBusConfig, Field(discriminator="type")]


class SqliteStoreConfig(Strict):
    type: Literal["sqlite"] = Field("sqlite", description="SQLite file in the data directory")
    path: Path = Field(Path("history.db"), description="Relative to data_dir")


_POSTGRES = PostgresSettings()  # the store's own defaults, in one place


class PostgresStoreConfig(Strict):
    """History in PostgreSQL 14+ (a TimescaleDB hypertable when the server has it)."""

    model_config = ConfigDict(populate_by_name=True)

    type: Literal["postgres"] = Field(description="PostgreSQL, through asyncpg")
    dsn: str = Field(
        DEFAULT_DSN,
        pattern=r"^postgres(ql)?://",
        description="postgresql://user@host:port/database; keep the password out of the "
        "file: PGPASSWORD or ~/.pgpass are read",
    )
    schema_name: str = Field(
        DEFAULT_SCHEMA,
        alias="schema",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema holding the tables, made if missing (one per site "
        "lets sites share a database)",
    )
    pool_min: int = Field(_POSTGRES.pool_min, ge=1, description="Connections kept open")
    pool_max: int = Field(_POSTGRES.pool_max, ge=1, description="Most connections at once")
    partition_days: int = Field(
        _POSTGRES.partition_days, ge=1, description="Days per raw partition (new schemas only)"
    )
    raw_days: int = Field(
        _POSTGRES.raw_days, ge=1, description="Raw samples older than this are dropped"
    )
    rollup_days: int = Field(
        _POSTGRES.rollup_days,
        ge=1,
        description="Hourly and daily rollups older than this are deleted (at least raw_days)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> PostgresStoreConfig:
        if self.pool_min > self.pool_max:
            raise ValueError(f"pool_min ({self.pool_min}) is above pool_max ({self.pool_max})")
        if self.rollup_days < self.raw_days:
            raise ValueError(
                f"rollup_days ({self.rollup_days}) must be at least raw_days ({self.raw_days}):"
                " rollups are what is left of old samples"
            )
        return self

    def settings(self) -> PostgresSettings:
        return PostgresSettings(
            pool_min=self.pool_min,
            pool_max=self.pool_max,
            partition_days=self.partition_days,
            raw_days=self.raw_days,
            rollup_days=self.rollup_days,
        )


StoreConfig = Annotated[SqliteStoreConfig | PostgresStoreConfig, Field(discriminator="type")]


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
    share_group: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="MQTT shared subscription group ($share/<group>/...): the gateway "
        "processes running this connector take the broker's messages in turn",
    )
    username: str | None = Field(None, min_length=1, description="Broker account")
    password_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the account's password",
    )

    @model_validator(mode="after")
    def _one_session_each(self) -> MqttConnectorConfig:
        if self.share_group is not None and self.client_id is not None:
            raise ValueError(
                f"share_group {self.share_group!r} with client_id {self.client_id!r}: every "
                "gateway of a group needs a session of its own, so leave client_id unset"
            )
        if self.password_env is not None and self.username is None:
            raise ValueError(f"password_env {self.password_env!r} needs a username")
        return self

    def password(self, env: Mapping[str, str]) -> str | None:
        """The account's password from `env` (ConfigError when the variable is unset)."""
        if self.password_env is None:
            return None
        value = env.get(self.password_env)
        if not value:
            raise ConfigError(
                f"mqtt connector {self.name}: environment variable {self.password_env} is unset"
            )
        return value

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


class SpoolConfig(Strict):
    """Store and forward: while the bus or the store is unreachable, gateways and history
    writers keep what they could not pass on in a bounded queue on local disk."""

    enabled: bool = Field(True, description="Spool to disk while the bus or store is down")
    directory: Path = Field(Path("spool"), description="Relative to data_dir")
    capacity_mb: float = Field(1024, gt=0, description="Disk each spool may use")
    high_water: float = Field(
        0.8, gt=0, le=1, description="An alarm is raised when a spool is this full"
    )
    low_water: float = Field(0.6, ge=0, lt=1, description="...and cleared below this")
    fsync: Literal["batch", "never"] = Field(
        "batch", description="batch: every append survives a power cut; never: a crash only"
    )
    publish_timeout_s: float = Field(
        5.0, gt=0, description="A gateway's publish not accepted within this is spooled"
    )

    @model_validator(mode="after")
    def _water_marks(self) -> SpoolConfig:
        if self.low_water >= self.high_water:
            raise ValueError("low_water must be below high_water")
        return self


class Role(StrEnum):
    """What a platform process does; one process may take several roles, or all of them."""

    GATEWAY = "gateway"  # the connectors: devices in, commands out
    HISTORY = "history"  # observations and dead letters into the store
    RULES = "rules"  # control, rules, alarms, schedules, notifications, device health
    APPS = "apps"  # the smart apps
    API = "api"  # REST, WebSocket and the dashboard


ALL_ROLES: frozenset[Role] = frozenset(Role)


class PlatformConfig(Strict):
    """The whole configuration of a platform process."""

    site: Path = Field(DEFAULT_SITE, description="Site model file (YAML)")
    data_dir: Path = Field(Path("data"), description="Where history and state are kept")
    bus: BusConfig = Field(
        default_factory=MemoryBusConfig, description="The message bus (memory or nats)"
    )
    store: StoreConfig = Field(
        default_factory=SqliteStoreConfig, description="Where history is kept (sqlite or postgres)"
    )
    spool: SpoolConfig = Field(default_factory=SpoolConfig)
    roles: list[Role] = Field(
        default_factory=lambda: list(Role),
        description="What this process does (`penworks run --role` overrides): gateway, "
        "history, rules, apps, api; all of them by default",
    )
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
        """The SQLite history file; a PostgreSQL store has none."""
        if not isinstance(self.store, SqliteStoreConfig):
            raise ConfigError("store.type is postgres: the history is in PostgreSQL, not a file")
        path = self.store.path
        return path if path.is_absolute() else self.data_dir / path

    @property
    def spool_path(self) -> Path:
        path = self.spool.directory
        return path if path.is_absolute() else self.data_dir / path

    @property
    def journal_path(self) -> Path:
        """Where the audit log, alarm transitions and notifications are kept."""
        return self.data_dir / "journal.db"


def load_platform_config(path: Path) -> PlatformConfig:
    """Read a platform config file; paths in it are relative to the file."""
    config = load_yaml_model(path, PlatformConfig)
    return config.resolved(path.resolve().parent)
