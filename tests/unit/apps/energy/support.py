"""An AppContext over a site model only, for what reads the model (no services behind it)."""

from __future__ import annotations

from typing import Any, cast

from penworks.apps.context import AppContext
from penworks.apps.energy.app import EnergySettings
from penworks.core import RealClock
from penworks.model import SiteModel


def model_context(model: SiteModel, settings: EnergySettings | None = None) -> AppContext:
    none = cast(Any, None)
    return AppContext(
        "energy",
        settings=settings or EnergySettings(),
        priority=12,
        model=model,
        bus=none,
        history=none,
        control=none,
        alarms=none,
        clock=RealClock(),
    )
