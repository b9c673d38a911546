"""The energy app's analysis routes: overview, baseline, savings, anomalies, comfort, control.

Mounted with the metering routes under /api/apps/energy/. What a principal sees follows the
points it may see: a tenant's users get their own meters, spaces and anomalies; building-wide
figures (the overview's totals, savings of the main meter, control) are for park-wide users.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException

from penworks.apps.api import Principal, Reader, VisiblePoints
from penworks.apps.energy.comfort import roll_up
from penworks.apps.energy.consumption import HOUR, eui, hour_of, peak_demand, total, window

if TYPE_CHECKING:
    from penworks.apps.energy.app import EnergyApp

MAX_HOURS = 24 * 62  # hours a baseline chart may span


def park_wide(principal: Principal) -> None:
    if principal.tenant is not None:
        raise HTTPException(403, "building-wide energy figures are for park-wide users")


def analysis_routes(router: APIRouter, app: EnergyApp) -> None:
    @router.get("/overview", summary="Energy, savings, comfort and anomalies at a glance")
    async def overview(principal: Reader) -> dict[str, Any]:
        park_wide(principal)
        return app.overview()

    @router.get("/baseline", summary="A meter's baseline model and hourly baseline vs actual")
    async def baseline(
        principal: Reader, visible: VisiblePoints, meter: str, start: datetime, end: datetime
    ) -> dict[str, Any]:
        check_hours(start, end)
        shown = {m.id for m in app.visible_meters(principal, visible)}
        if meter not in shown:
            raise HTTPException(404, f"no meter {meter!r}")
        return app.baseline_json(meter, start, end)

    @router.get("/savings", summary="Measured savings of the main meter with uncertainty")
    async def savings(principal: Reader, start: datetime, end: datetime) -> dict[str, Any]:
        park_wide(principal)
        check_hours(start, end, limit=24 * 400)
        try:
            return app.savings_json(start, end)
        except ValueError as error:
            raise HTTPException(409, str(error)) from error

    @router.get("/anomalies", summary="Energy anomalies with their waste in kWh and money")
    async def anomalies(principal: Reader, visible: VisiblePoints) -> list[dict[str, Any]]:
        subjects = app.visible_subjects(principal, visible)
        currency = app.currency or app.tariff.currency
        return [
            {**a.to_json(), "currency": currency} for a in app.anomalies() if a.subject in subjects
        ]

    @router.get("/comfort", summary="Comfort per space: PMV/PPD, air quality, hours outside")
    async def comfort(principal: Reader, visible: VisiblePoints) -> dict[str, Any]:
        subjects = app.visible_subjects(principal, visible)
        return app.comfort_json(subjects)

    @router.get("/control", summary="The control strategies and what they commanded")
    async def control(principal: Reader) -> dict[str, Any]:
        park_wide(principal)
        return app.control_json()


def check_hours(start: datetime, end: datetime, limit: int = MAX_HOURS) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise HTTPException(422, "start and end need a time zone")
    if not start < end or end - start > timedelta(hours=limit):
        raise HTTPException(422, f"start must be before end, at most {limit} hours apart")


def today_and_week(app: EnergyApp, now: datetime) -> dict[str, Any]:
    """kWh today and over the last 7 days, peak demand today, of the main meters."""
    local = now.astimezone(app.tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    roots = [m.id for m in app.hierarchy.roots() if m.id in app.counters]
    hourly: dict[datetime, float] = {}
    for meter in roots:
        for hour, kwh in app.hourly(meter).items():
            hourly[hour] = hourly.get(hour, 0.0) + kwh
    end = hour_of(now) + HOUR
    peak = peak_demand(window(hourly, midnight, end))
    # EUI over the hours metered (the last year of them), as a yearly rate
    intensity = None
    if hourly and app.area_m2 > 0:
        last = max(hourly) + HOUR
        first = max(min(hourly), last - timedelta(days=365))
        intensity = eui(total(hourly, first, last), app.area_m2, first, last)
    return {
        "today_kwh": round(total(hourly, midnight, end), 1),
        "week_kwh": round(total(hourly, end - timedelta(days=7), end), 1),
        "peak_today_kw": None if peak is None else round(peak[1], 1),
        "eui_kwh_m2_a": None if intensity is None else round(intensity, 1),
        "comfort": roll_up(app.comfort_summaries()).to_json(),
    }
