"""Finding apps: the `penworks.apps` entry point group, so a package can ship an app.

Each entry point names a class or a factory that, called without arguments, returns an App:

    [project.entry-points."penworks.apps"]
    comfort = "acme_comfort:ComfortApp"
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points

from penworks.apps.types import App
from penworks.core import ConfigError

log = logging.getLogger(__name__)

GROUP = "penworks.apps"


def installed_entry_points() -> Iterable[EntryPoint]:
    return entry_points(group=GROUP)


def load_app(entry: EntryPoint) -> App:
    """The App an entry point makes; ConfigError naming the entry point if it makes none."""
    try:
        factory: Callable[[], object] = entry.load()
        made = factory()
    except Exception as error:  # a third party's import or constructor: any error
        raise ConfigError(
            f"app entry point {entry.name} = {entry.value}: cannot load it: {error}"
        ) from error
    if not isinstance(made, App):
        raise ConfigError(
            f"app entry point {entry.name} = {entry.value}: gave a {type(made).__name__}, "
            "not an App (id, name, settings, async run(ctx))"
        )
    return made


def discover(entries: Iterable[EntryPoint] | None = None) -> list[App]:
    """Every app the installed packages offer, in entry point order."""
    found = [load_app(e) for e in (installed_entry_points() if entries is None else entries)]
    for app in found:
        log.info("found app %s (%s)", app.id, app.name)
    return found
