"""Per-tenant bills: the tenant's hourly kWh priced hour by hour by a time-of-use tariff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from penworks.apps.energy.consumption import Hourly, window
from penworks.apps.energy.tariff import Tariff


@dataclass(frozen=True, slots=True)
class BillLine:
    band: str
    kwh: float
    cost: float


@dataclass(frozen=True, slots=True)
class Bill:
    tenant: str
    start: datetime
    end: datetime
    currency: str
    lines: tuple[BillLine, ...]
    missing_hours: int = 0  # hours of the period with no consumption known

    @property
    def kwh(self) -> float:
        return sum(line.kwh for line in self.lines)

    @property
    def cost(self) -> float:
        return round(sum(line.cost for line in self.lines), 2)

    def to_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "currency": self.currency,
            "lines": [
                {"band": x.band, "kwh": round(x.kwh, 3), "cost": round(x.cost, 2)}
                for x in self.lines
            ],  # fmt: skip
            "kwh": round(self.kwh, 3),
            "cost": self.cost,
            "missing_hours": self.missing_hours,
        }


def bill(
    tenant: str,
    hourly: Hourly,
    tariff: Tariff,
    start: datetime,
    end: datetime,
    currency: str | None = None,
) -> Bill:
    """Each hour's kWh priced at the band and season of the hour's start (in the tariff's
    currency unless another is named)."""
    kwh = dict.fromkeys(tariff.bands(), 0.0)
    cost = dict.fromkeys(tariff.bands(), 0.0)
    hours = window(hourly, start, end)
    for hour, used in hours.items():
        band = tariff.band_at(hour)
        kwh[band] += used
        cost[band] += used * tariff.price_at(hour)
    expected = int((end - start).total_seconds() // 3600)
    lines = tuple(BillLine(b, kwh[b], cost[b]) for b in kwh)
    return Bill(
        tenant, start, end, currency or tariff.currency, lines, max(0, expected - len(hours))
    )
