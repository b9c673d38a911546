"""`penworks discover PROTOCOL --target HOST:PORT`: what is out there, as a draft to review.

Each protocol's discovery returns a Discovery (devices, their points with suggested Brick
classes and ready bindings, and the connector config that reaches them); this module turns
it into a draft site file and a connector config for a person to review and merge.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from penworks.config import ConnectorConfig
from penworks.connectors import Discovery
from penworks.connectors.bacnet import discover_bacnet
from penworks.connectors.draft import draft_site, draft_yaml
from penworks.connectors.modbus import discover_modbus
from penworks.connectors.opcua import discover_opcua
from penworks.core import ConfigError
from penworks.model import BrickOntology

Discoverer = Callable[..., Awaitable[Discovery]]

DISCOVERERS: dict[str, Discoverer] = {
    "bacnet": discover_bacnet,
    "modbus": discover_modbus,
    "opcua": discover_opcua,
}

_CONNECTOR_CONFIG: TypeAdapter[ConnectorConfig] = TypeAdapter(ConnectorConfig)


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    discovery: Discovery
    site_yaml: str
    config_yaml: str
    unsure: int  # points without a suggested Brick class

    @property
    def points(self) -> int:
        return sum(len(d.points) for d in self.discovery.devices)


async def discover(protocol: str, target: str, timeout_s: float) -> DiscoveryReport:
    """Run one protocol's discovery against a target and draft what it found."""
    try:
        run = DISCOVERERS[protocol]
    except KeyError:
        known = ", ".join(sorted(DISCOVERERS))
        raise ConfigError(f"cannot discover {protocol!r}; use one of {known}") from None
    found = await run(target, timeout_s=timeout_s)
    return report(found, target)


def report(found: Discovery, target: str) -> DiscoveryReport:
    """The draft site and connector config for a discovery (both validated)."""
    config = found.connector_config
    try:
        checked = _CONNECTOR_CONFIG.validate_python(config)
    except ValidationError as exc:
        raise ConfigError(f"discovery produced an invalid connector config: {exc}") from exc
    site = draft_site(found, connector_name=checked.name, ontology=BrickOntology.load())
    now = datetime.now(UTC)
    header = (
        f"# Connector config from `penworks discover {found.connector} --target {target}`:\n"
        "# add it under `connectors:` of the platform config file.\n"
    )
    config_yaml = header + yaml.safe_dump([config], sort_keys=False, allow_unicode=True)
    draft = draft_yaml(found, site, target, now)
    return DiscoveryReport(found, draft, config_yaml, found.unsure_points)


def write_report(result: DiscoveryReport, site_out: Path, config_out: Path | None) -> str:
    """Write the draft files; the summary line to print."""
    site_out.write_text(result.site_yaml, encoding="utf-8")
    if config_out is not None:
        config_out.write_text(result.config_yaml, encoding="utf-8")
    devices = len(result.discovery.devices)
    where = f"{site_out}" + (f" and {config_out}" if config_out is not None else "")
    return (
        f"found {devices} devices, {result.points} points "
        f"({result.unsure} without a suggested Brick class); wrote {where}"
    )
