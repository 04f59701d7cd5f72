"""INPUT.json's checks: each bad input is named by its path and id, nothing is planned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alianza.corridor.contract import load, parse
from alianza.errors import InputError
from tests.corridor.test_planner import small


def _bad(mutate: Any) -> str:
    raw = small()
    mutate(raw)
    with pytest.raises(InputError) as caught:
        parse(raw)
    return str(caught.value)


def test_unknown_stop_in_a_call_and_as_an_origin() -> None:
    msg = _bad(lambda r: r["departures"][1]["calls"][2].update(stop="zzz"))
    assert "departures[1] (b2).calls[2].stop" in msg and "zzz" in msg
    msg = _bad(lambda r: r["households"][3].update(origin="lima"))
    assert "households[3] (h4).origin" in msg


def test_negative_seats_and_capacity() -> None:
    assert "departures[0] (b1).seats" in _bad(lambda r: r["departures"][0].update(seats=-1))
    assert "stops[1] (bor).daily_capacity" in _bad(
        lambda r: r["stops"][1].update(daily_capacity=-5)
    )


def test_calls_out_of_date_order() -> None:
    msg = _bad(lambda r: r["departures"][0]["calls"][2].update(date="2027-02-01"))
    assert "departures[0] (b1).calls[2].date" in msg and "orden" in msg


def test_repeated_ids_bad_dates_bad_kinds_and_a_zero_horizon() -> None:
    assert "identificador repetido" in _bad(lambda r: r["households"][1].update(id="h1"))
    assert "households[0] (h1).ready_date" in _bad(
        lambda r: r["households"][0].update(ready_date="2027-02-30")
    )
    assert "stops[0] (scl).kind" in _bad(lambda r: r["stops"][0].update(kind="port"))
    assert "horizon_days" in _bad(lambda r: r.update(horizon_days=0))
    assert "members" in _bad(lambda r: r["households"][0].update(members=[]))
    assert "consent" in _bad(lambda r: r["households"][0]["members"][0].update(consent="yes"))


def test_a_person_in_two_households_is_refused() -> None:
    def twice(r: dict[str, Any]) -> None:
        r["households"][1]["members"][0]["id"] = r["households"][0]["members"][0]["id"]

    assert "otro hogar" in _bad(twice)


def test_files(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text("{bad json", encoding="utf-8")
    with pytest.raises(InputError, match="JSON mal formado"):
        load(path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="objeto JSON"):
        load(path)
    path.write_text(json.dumps(small()), encoding="utf-8")
    assert len(load(path).households) == 4
    with pytest.raises(InputError, match="no existe"):
        load(tmp_path / "nada.json")


@settings(max_examples=150, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=6), children, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_any_json_is_a_plan_input_or_one_input_error(value: Any) -> None:
    raw = small()
    key = "households" if isinstance(value, list) else "start_date"
    raw[key] = value
    try:
        parse(raw)
    except InputError as exc:
        assert "\n" not in str(exc)
