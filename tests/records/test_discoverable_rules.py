"""Discoverability is never narrower than the scope: whoever receives a record can find it.

Property-based (hypothesis) over every scope, discoverability and country list: the
widening helper, the ``Rules`` validator, the stored columns and the permission rule agree.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from alianza.auth.permissions import Action, Principal, allowed
from alianza.records.policy import RecordRef, in_scope
from alianza.records.rules import Discoverable, Rules, Scope, scope_text, widen_discoverable
from alianza.records.state import discoverable_state
from tests.conftest import RULES

COUNTRIES = ["AR", "CL", "CO", "EC", "PE"]
countries = st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True)


@st.composite
def scopes(draw: st.DrawFn) -> tuple[Scope, list[str]]:
    scope = draw(st.sampled_from(list(Scope)))
    return scope, sorted(draw(countries)) if scope is Scope.PARTNERS else []


@st.composite
def discoverables(draw: st.DrawFn) -> tuple[Discoverable, list[str]]:
    found = draw(st.sampled_from(list(Discoverable)))
    return found, sorted(draw(countries)) if found is Discoverable.PARTNERS else []


def _finds(country: str, found: str, listed: str) -> bool:
    return found == "members" or (found == "partners" and f",{country}," in listed)


@given(scopes(), discoverables(), st.sampled_from(COUNTRIES))
def test_widened_covers_everyone_in_scope(
    scope: tuple[Scope, list[str]], wanted: tuple[Discoverable, list[str]], asker: str
) -> None:
    found, listed = widen_discoverable(
        wanted[0], wanted[1], scope=scope[0], scope_countries=scope[1]
    )
    receives = in_scope(
        country=asker,
        agency="otra",
        owner_country="CL",
        owner_agency="PDI",
        scope=scope[0].value,
        scope_countries=scope_text(scope[1]),
    )
    finds = _finds(asker, found.value, scope_text(listed))
    # Another country that receives the record also finds it (own country is by scope).
    if receives and asker != "CL":
        assert finds
    # Widening never narrows what was asked for.
    if _finds(asker, wanted[0].value, scope_text(wanted[1])):
        assert finds


@given(scopes(), discoverables())
def test_rules_accept_exactly_what_needs_no_widening(
    scope: tuple[Scope, list[str]], wanted: tuple[Discoverable, list[str]]
) -> None:
    widened = widen_discoverable(wanted[0], wanted[1], scope=scope[0], scope_countries=scope[1])
    fields = {
        **RULES,
        "scope": scope[0],
        "scope_countries": scope[1],
        "discoverable": wanted[0],
        "discoverable_countries": wanted[1],
    }
    if widened == wanted:
        rules = Rules(**fields)
        state = discoverable_state(rules.model_dump(mode="json"))
        assert state == {
            "discoverable": wanted[0].value,
            "discoverable_countries": scope_text(wanted[1]),
        }
    else:
        with pytest.raises(ValidationError, match="más estrecho"):
            Rules(**fields)


@given(scopes(), discoverables(), st.sampled_from(COUNTRIES))
def test_the_permission_rule_discovers_what_the_columns_say(
    scope: tuple[Scope, list[str]], wanted: tuple[Discoverable, list[str]], asker: str
) -> None:
    found, listed = widen_discoverable(
        wanted[0], wanted[1], scope=scope[0], scope_countries=scope[1]
    )
    ref = RecordRef(
        kind="person",
        owner_country="CL",
        owner_agency="PDI",
        scope=scope[0].value,
        scope_countries=scope_text(scope[1]),
        discoverable=found.value,
        discoverable_countries=scope_text(listed),
    )
    peer = Principal.peer(node_id="x", country=asker, agency="Otra")
    reads = allowed(peer, Action.READ, ref)
    discovers = allowed(peer, Action.DISCOVER, ref)
    assert discovers == (reads or _finds(asker, found.value, scope_text(listed)))
    assert not reads or discovers  # reading implies finding


def test_old_versions_without_discoverable_are_as_findable_as_shared() -> None:
    assert discoverable_state({"scope": "agency"}) == {
        "discoverable": "none",
        "discoverable_countries": "",
    }
    assert discoverable_state({"scope": "partners", "scope_countries": ["PE", "EC"]}) == {
        "discoverable": "partners",
        "discoverable_countries": ",EC,PE,",
    }
