"""Units from EUInformation: display names and UNECE codes to the site file's symbols."""

from __future__ import annotations

import pytest

from penworks.connectors.opcua.units import unece_code, unit_symbol
from tests.unit.connectors.opcua.peer import unece_id


@pytest.mark.parametrize(
    ("display", "code", "symbol"),
    [
        ("°C", "CEL", "degC"),
        ("℃", None, "degC"),
        ("kWh", "KWH", "kWh"),
        ("%", "P1", "%"),
        ("l/s", None, "L/s"),
        ("m³/h", None, "m3/h"),
        ("", "CEL", "degC"),  # no display name: the UNECE code says it
        (None, "PAL", "Pa"),
        ("kg", "KGM", "kg"),  # not a symbol the model knows: kept as the server says it
        ("", None, None),
        (None, None, None),
    ],
)
def test_engineering_units_become_site_symbols(
    display: str | None, code: str | None, symbol: str | None
) -> None:
    assert unit_symbol(display, unece_id(code) if code else None) == symbol


def test_unece_codes_unpack_from_unit_ids() -> None:
    assert unece_code(4408652) == "CEL"
    assert unece_code(unece_id("59")) == "59"
    assert unece_code(-1) == ""
