"""Routing: which routes take an alarm or a notice, and who, through which channel, is told.

Areas are entity id prefixes: a recipient covering ``b15.f3`` covers ``b15.f3`` and
``b15.f3.r301``, not ``b15.f30``. Recipients reached through a role must cover the area;
recipients named by id are told wherever it happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.notify_config import NotificationConfig, RecipientDef, RouteDef, TargetsDef


def within(area: str, prefix: str) -> bool:
    return area == prefix or area.startswith(prefix + ".")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One channel and the recipients it must reach (a webhook may have none)."""

    channel: str
    recipients: tuple[RecipientDef, ...]
    route: str  # the route(s) it came from, for the records


class Router:
    """Matches routes and resolves targets, from a notifications file."""

    def __init__(self, config: NotificationConfig) -> None:
        self.config = config
        self._recipients = {r.id: r for r in config.recipients}
        self._all_channels = [c.id for c in config.channels]

    def routes(
        self, *, priority: AlarmPriority, area: str, rule: str | None, key: str
    ) -> list[RouteDef]:
        """Every route whose conditions all hold."""
        return [r for r in self.config.routes if _matches(r, priority, area, rule, key)]

    def recipients(self, targets: TargetsDef, area: str) -> list[RecipientDef]:
        """Named recipients, and role holders who cover the area, each once, in file order."""
        roles = set(targets.roles)
        named = set(targets.recipients)
        return [
            r
            for r in self.config.recipients
            if r.id in named or (roles.intersection(r.roles) and _covers(r, area))
        ]

    def deliveries(
        self, parts: Iterable[tuple[str, Sequence[str], Sequence[RecipientDef]]]
    ) -> list[Delivery]:
        """(route id, channels, recipients) parts joined per channel: each person once."""
        by_channel: dict[str, tuple[list[str], dict[str, RecipientDef]]] = {}
        for route, channels, recipients in parts:
            for channel in channels:
                routes, people = by_channel.setdefault(channel, ([], {}))
                if route not in routes:
                    routes.append(route)
                people.update((r.id, r) for r in recipients)
        return [
            Delivery(channel, tuple(people.values()), ",".join(routes))
            for channel, (routes, people) in by_channel.items()
        ]

    def for_routes(self, routes: Sequence[RouteDef], area: str) -> list[Delivery]:
        return self.deliveries((r.id, r.channels, self.recipients(r.to, area)) for r in routes)

    def for_roles(
        self, roles: Sequence[str], channels: Sequence[str], area: str, label: str
    ) -> list[Delivery]:
        """A notice that names its roles (and maybe channels) itself."""
        people = self.recipients(TargetsDef(roles=list(roles)), area)
        chosen = list(channels) or self.config.notice_channels or self._all_channels
        return self.deliveries([(label, chosen, people)])


def _covers(recipient: RecipientDef, area: str) -> bool:
    return not recipient.areas or any(within(area, a) for a in recipient.areas)


def _matches(
    route: RouteDef, priority: AlarmPriority, area: str, rule: str | None, key: str
) -> bool:
    match = route.match
    if match.priority_at_most is not None and priority > match.priority_at_most:
        return False
    if match.areas and not any(within(area, a) for a in match.areas):
        return False
    if match.rules and (rule is None or not any(fnmatchcase(rule, p) for p in match.rules)):
        return False
    return not match.alarms or any(fnmatchcase(key, p) for p in match.alarms)
