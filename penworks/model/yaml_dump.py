"""Write a SiteDef as a site file that loads back to the same site."""

from __future__ import annotations

from typing import Any

import yaml

from penworks.model.schema import SiteDef


class _SiteDumper(yaml.SafeDumper):
    """Short lists of plain values (corners, feeds) on one line; everything else in blocks."""


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flow = bool(items) and all(isinstance(i, int | float) for i in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


_SiteDumper.add_representer(list, _represent_list)


def dump_site_yaml(site: SiteDef) -> str:
    """The site as YAML, defaults left out (they are defaults again on load)."""
    data = site.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("brick_version", site.brick_version)
    return yaml.dump(data, Dumper=_SiteDumper, sort_keys=False, allow_unicode=True, width=100)
