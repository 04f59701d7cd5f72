"""Explanations speak in the units an analyst knows: the value per kilo is a price, never
negative (it was rendered with expm1 of a log ratio: "-0,67 USD/kg" in the demo)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from alianza.ports.selection import describe


@given(
    value=st.floats(min_value=0, max_value=5e6, allow_nan=False),
    weight=st.floats(min_value=1, max_value=1e5, allow_nan=False),
)
def test_value_per_kilo_is_the_declared_price(value: float, weight: float) -> None:
    x = math.log1p(value) - math.log1p(weight)  # features._log_value_kg
    text = describe("log_value_kg", {"log_value_kg": x}, {})
    shown = float(text.split()[2].replace(",", "."))
    assert shown >= 0
    assert math.isclose(shown, (value + 1) / (weight + 1), rel_tol=0.01, abs_tol=0.006)
