"""A draft site file from what a discovery found, for a person to review and merge.

Each device becomes a piece of equipment on an 'unplaced' floor, each of its points a point
with the suggested Brick class (or plain Point where nothing was suggested) and a binding
ready to use, plus a comm_loss point bound to the device's health. The draft is a complete
site file that loads, so every binding in it is known to be valid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from penworks.connectors.base import DiscoveredDevice, DiscoveredPoint, Discovery
from penworks.connectors.hints import local_id
from penworks.core import PointKind
from penworks.model import BrickOntology, SiteModel, dump_site_yaml
from penworks.model.schema import SiteDef

UNKNOWN_POINT_CLASS = "Point"
UNKNOWN_EQUIPMENT_CLASS = "Equipment"
HEALTH_POINT = "comm_loss"


def draft_site(
    discovery: Discovery,
    *,
    connector_name: str,
    ontology: BrickOntology,
    site_id: str = "draft",
) -> SiteDef:
    """The discovered devices as a site (validated: it loads as a SiteModel)."""
    equipment_ids: set[str] = set()
    equipment = [
        _equipment(d, discovery.connector, connector_name, ontology, equipment_ids)
        for d in discovery.devices
    ]
    site = SiteDef.model_validate(
        {
            "id": site_id,
            "name": f"Devices found over {discovery.connector}",
            "brick_version": ontology.version,
            "buildings": [
                {
                    "id": site_id,
                    "name": "Review: merge these into the site",
                    "floors": [
                        {
                            "id": "unplaced",
                            "name": "Review: move each device to its floor and space",
                            "level": 0,
                            "equipment": equipment,
                        }
                    ],
                }
            ],
        }
    )
    SiteModel.from_def(site, ontology, source="<draft>")  # ConfigError if anything is off
    return site


def draft_yaml(discovery: Discovery, site: SiteDef, target: str, when: datetime) -> str:
    """The draft as a site file, with a header saying where it came from and what to check."""
    unsure = discovery.unsure_points
    points = sum(len(d.points) for d in discovery.devices)
    header = [
        f"# Draft site model: `penworks discover {discovery.connector} --target {target}`",
        f"# at {when.isoformat(timespec='seconds')}: {len(discovery.devices)} devices, "
        f"{points} points.",
        "# Review before merging: ids, names, Brick classes, units, limits and where each",
        "# device sits (floor, space, feeds).",
    ]
    if unsure:
        header.append(
            f"# {unsure} points had no suggested Brick class and are plain "
            f"{UNKNOWN_POINT_CLASS}: give them a class."
        )
    return "\n".join(header) + "\n" + dump_site_yaml(site)


def _equipment(
    device: DiscoveredDevice,
    connector: str,
    connector_name: str,
    ontology: BrickOntology,
    taken: set[str],
) -> dict[str, Any]:
    point_ids: set[str] = {HEALTH_POINT}
    points = [_point(p, connector, ontology, point_ids) for p in device.points]
    points.append(
        {
            "id": HEALTH_POINT,
            "name": f"{device.label} communication lost",
            "brick": "Communication_Loss_Alarm",
            "kind": PointKind.BOOL.value,
            "binding": {
                "connector": "health",
                "source": connector_name,
                "device": device.health_device,
                "field": "comm_loss",
            },
        }
    )
    brick = device.brick if ontology.exists(device.brick) else UNKNOWN_EQUIPMENT_CLASS
    return {
        "id": local_id(device.name, taken),
        "name": device.label,
        "brick": brick,
        "points": points,
    }


def _point(
    found: DiscoveredPoint, connector: str, ontology: BrickOntology, taken: set[str]
) -> dict[str, Any]:
    brick = found.suggested_brick
    if brick is None or not ontology.exists(brick):
        brick = UNKNOWN_POINT_CLASS
    point: dict[str, Any] = {
        "id": local_id(found.name, taken),
        "name": found.description or found.name,
        "brick": brick,
        "kind": found.kind,
        "binding": {"connector": connector, **found.binding},
    }
    if found.unit is not None:
        point["unit"] = found.unit
    if found.writable:
        point["writable"] = True
    return point
