"""Checks on an expanded site that the schema alone cannot make: classes, references, zones."""

from __future__ import annotations

from collections.abc import Mapping
from difflib import get_close_matches
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from penworks.model.brick import BRICK_VERSIONS, BrickOntology
from penworks.model.places import Place, Problems
from penworks.model.schema import SiteDef
from penworks.model.templates import Origin

# The Brick class every entity of a kind must be below.
_ROOTS: dict[str, tuple[str, ...]] = {
    "point": ("Point",),
    "equipment": ("Equipment", "Collection"),
    "space": ("Location",),
    "floor": ("Location",),
    "building": ("Location",),
}
_NOUNS = {
    "point": "a point",
    "equipment": "equipment",
    "space": "a space",
    "floor": "a floor",
    "building": "a building",
}


def check_site(
    site: SiteDef, origins: list[Origin], ontology: BrickOntology, problems: Problems
) -> None:
    _check_header(site, problems)
    tenants = {t.id for t in site.tenants}
    kinds = {o.full_id: o.kind for o in origins}
    for origin in origins:
        _check_class(origin, ontology, problems)
        if origin.tenant is not None and origin.tenant not in tenants:
            known = ", ".join(sorted(tenants)) or "none defined under tenants:"
            problems.add(
                origin.place.child("tenant"), f"unknown tenant {origin.tenant!r} (known: {known})"
            )
        for i, target in enumerate(origin.feeds):
            _check_feed(origin, target, kinds, origin.place.child("feeds", i), problems)


def _check_header(site: SiteDef, problems: Problems) -> None:
    if site.brick_version not in BRICK_VERSIONS:
        problems.add(
            Place.at("brick_version"),
            f"Brick version {site.brick_version!r} is not supported "
            f"(use one of {', '.join(BRICK_VERSIONS)})",
        )
    try:
        ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(
            Place.at("timezone"),
            f"unknown time zone {site.timezone!r} (use an IANA name such as Asia/Shanghai)",
        )


def _check_class(origin: Origin, ontology: BrickOntology, problems: Problems) -> None:
    if not ontology.exists(origin.brick):
        problems.add(origin.place.child("brick"), ontology.unknown_class_message(origin.brick))
        return
    roots = _ROOTS[origin.kind]
    if not any(ontology.is_subclass(origin.brick, root) for root in roots):
        problems.add(
            origin.place.child("brick"),
            f"{origin.brick!r} is a Brick class, but not one for {_NOUNS[origin.kind]} "
            f"(it is not a kind of {' or '.join(roots)})",
        )


def _check_feed(
    origin: Origin, target: str, kinds: Mapping[str, str], place: Place, problems: Problems
) -> None:
    kind = kinds.get(target)
    if target == origin.full_id:
        problems.add(place, f"{target!r} cannot feed itself")
    elif kind is None:
        close = get_close_matches(target, list(kinds), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.add(place, f"{target!r} is not the full id of any equipment or space{hint}")
    elif kind not in ("equipment", "space"):
        problems.add(place, f"{target!r} is a {kind}; feeds must name equipment or a space")
