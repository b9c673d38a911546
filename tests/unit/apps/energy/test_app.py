"""The energy app run by an AppHost: live kWh readings in, the routes out, tenants apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from penworks.apps.energy.app import EnergyApp
from penworks.auth.types import Role
from penworks.bus import observation_subject
from penworks.config import AppConfig
from penworks.core import Observation
from penworks.model import SiteModel
from tests.unit.api.auth_support import FakeAuth, bearer, principal, secured_app
from tests.unit.apps.support import BUILDING15, CEDAR_HOUSE, Hosting, hosting
from tests.unit.control.support import eventually

NIB = principal(Role.TENANT_USER, "nib")
ROOT = principal(Role.ADMIN, username="root")
T0 = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: the peak band starts
MAIN = "b15.b1.elec.main_meter"
READINGS = {  # energy point -> (kWh at T0, kWh per hour)
    f"{MAIN}.energy_import": (1000.0, 100.0),
    "b15.b1.elec.f2_meter.energy_import": (500.0, 20.0),
    "b15.b1.elec.f3_meter.energy_import": (500.0, 30.0),
    "b15.b1.elec.hvac_meter.energy_import": (500.0, 40.0),
    "b15.f2.inkwell_meter.energy_import": (10.0, 15.0),
    "b15.f3.nib_meter.energy_import": (10.0, 25.0),
}


@pytest.fixture(scope="module")
def building15() -> SiteModel:
    return SiteModel.load(BUILDING15)


async def feed(running: Hosting, app: EnergyApp) -> None:
    for hour in range(4):
        for point, (base, rate) in READINGS.items():
            value = base + rate * hour
            if point.startswith("b15.f3.nib") and hour == 2:
                value = 5.0  # the nib register is reset: 5 kWh counted, and flagged
            elif point.startswith("b15.f3.nib") and hour == 3:
                value = 30.0
            ts = T0 + timedelta(hours=hour)
            await running.control.bus.publish(
                observation_subject(point), Observation(point, ts, value)
            )
    await eventually(lambda: all(len(c.hourly) == 3 for c in app.counters.values()
                                 if c.point in READINGS))  # fmt: skip


async def test_routes_serve_meters_consumption_bills_and_quality(building15: SiteModel) -> None:
    app = EnergyApp()
    async with hosting(building15, {"energy": AppConfig()}, app) as running:
        await app.ready.wait()
        await feed(running, app)
        api = secured_app(building15, running.history, auth=FakeAuth(NIB, ROOT), apps=running.host)
        transport = httpx.ASGITransport(app=api)
        span = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=3)).isoformat()}
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def get(path: str, who: object = ROOT, **params: str) -> httpx.Response:
                headers = bearer(who) if who is not None else {}  # type: ignore[arg-type]
                return await client.get(f"/api/apps/energy{path}", params=params, headers=headers)

            anonymous = await get("/meters", None)
            meters, nib_meters = await get("/meters"), await get("/meters", NIB)
            floors = await get("/consumption", **span, by="floor")
            systems = await get("/consumption", **span, by="system")
            tenants = await get("/consumption", **span, by="tenant")
            nib_tenants = await get("/consumption", NIB, **span, by="tenant")
            nib_bill = await get("/bills", NIB, tenant="nib", **span)
            other_bill = await get("/bills", NIB, tenant="inkwell", **span)
            admin_bill = await get("/bills", tenant="inkwell", **span)
            quality, nib_quality = await get("/quality"), await get("/quality", NIB)
            naive = await get("/consumption", start="2026-01-06T00:00", end="2026-01-07T00:00")
    assert anonymous.status_code == 401
    hierarchy = meters.json()
    assert len(hierarchy["meters"]) == 18
    [main] = [m for m in hierarchy["meters"] if m["id"] == MAIN]
    assert len(main["children"]) == 14
    assert [m["id"] for m in nib_meters.json()["meters"]] == ["b15.f3.nib_meter"]
    assert nib_meters.json()["virtual"] == []

    # a floor's board meter, not also the tenant meter below it
    assert floors.json()["kwh"] == {"b15.b1": 0.0, "b15.f1": 0.0, "b15.f2": 60.0,
                                    "b15.f3": 90.0, "b15.f4": 0.0, "b15.roof": 0.0}  # fmt: skip
    assert floors.json()["meters"][MAIN] == 300.0
    assert floors.json()["peak_demand"][MAIN] == {"hour": T0.isoformat(), "kw": 100.0}
    # 300 kWh in 3 hours over 5760 m2: 876000 kWh a year
    assert floors.json()["eui_kwh_m2_a"] == round(100 * 8760 / 5760, 3)
    assert nib_tenants.json()["eui_kwh_m2_a"] is None
    assert floors.json()["virtual"][f"{MAIN}.unmetered"] == 300.0 - 60 - 90 - 120
    assert floors.json()["virtual"]["b15.b1.elec.f2_meter.unmetered"] == 60.0 - 45.0
    assert systems.json()["kwh"]["hvac"] == 120.0
    assert sum(systems.json()["kwh"].values()) == 120.0
    assert tenants.json()["kwh"] == {"inkwell": 45.0, "nib": 55.0, "quill": 0.0}  # nib: 25+5+25
    assert nib_tenants.json()["kwh"] == {"nib": 55.0}

    assert nib_bill.status_code == 200
    assert nib_bill.json()["kwh"] == 55.0
    assert nib_bill.json()["currency"] == "CNY"
    assert {x["band"]: x["kwh"] for x in nib_bill.json()["lines"]}[
        "peak"
    ] == 55.0  # 08-11 in Shanghai
    assert other_bill.status_code == 404  # another tenant's bill is not there for nib
    assert admin_bill.json()["kwh"] == 45.0

    kinds = {(f["meter"], f["kind"]) for f in quality.json()}
    assert ("b15.f3.nib_meter", "reset") in kinds
    assert [f["kind"] for f in nib_quality.json()] == ["reset"]
    assert naive.status_code == 422


async def test_the_same_app_runs_on_cedar_house() -> None:
    app = EnergyApp()
    async with hosting(SiteModel.load(CEDAR_HOUSE), {"energy": AppConfig()}, app) as running:
        await app.ready.wait()
        [status] = running.host.statuses()
        assert (status.id, status.running, status.restarts) == ("energy", True, 0)
    assert app.hierarchy.meters == {}
    assert app.tariff.name.startswith("Shanghai commercial")


async def test_settings_take_an_inline_tariff(building15: SiteModel) -> None:
    flat = {"name": "flat", "seasons": [{"name": "all", "months": list(range(1, 13))}],
            "periods": [{"band": "flat", "start": "00:00", "end": "00:00"}],
            "prices": {"all": {"flat": 0.8}}}  # fmt: skip
    app = EnergyApp()
    settings = {"tariff": flat, "currency": "EUR", "quality": {"gap_limit_h": 1.0}}
    config = AppConfig(settings=settings)
    async with hosting(building15, {"energy": config}, app):
        await app.ready.wait()
    assert app.tariff.name == "flat"
    assert app.currency == "EUR"
    assert next(iter(app.counters.values())).settings.gap_limit_h == 1.0


async def test_analysis_routes_refuse_bad_requests_clearly(building15: SiteModel) -> None:
    app = EnergyApp()
    async with hosting(building15, {"energy": AppConfig()}, app) as running:
        await app.ready.wait()
        await feed(running, app)
        api = secured_app(building15, running.history, auth=FakeAuth(NIB, ROOT), apps=running.host)
        transport = httpx.ASGITransport(app=api)
        span = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=3)).isoformat()}
        backwards = {"start": span["end"], "end": span["start"]}
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def get(path: str, who: object = ROOT, **params: str) -> httpx.Response:
                headers = bearer(who)  # type: ignore[arg-type]
                return await client.get(f"/api/apps/energy{path}", params=params, headers=headers)

            unknown = await get("/baseline", meter="b15.nowhere", **span)
            reversed_span = await get("/baseline", meter=MAIN, **backwards)
            no_baseline = await get("/savings", **span)
            tenant_overview = await get("/overview", NIB)
            overview = await get("/overview")
            baseline = await get("/baseline", meter=MAIN, **span)
    assert unknown.status_code == 404
    assert "b15.nowhere" in unknown.json()["detail"]
    assert reversed_span.status_code == 422
    assert no_baseline.status_code == 409
    assert "baseline" in no_baseline.json()["detail"]
    assert tenant_overview.status_code == 403
    figures = overview.json()
    assert figures["savings"]["saving_pct"] is None  # none before a baseline exists
    # 300 kWh metered in 3 hours over 5760 m2, as a yearly rate
    assert figures["eui_kwh_m2_a"] == round(100 * 8760 / 5760, 1)
    hours = baseline.json()
    assert hours["model"] is None
    assert [h["actual"] for h in hours["hours"]][:1] == [100.0]
