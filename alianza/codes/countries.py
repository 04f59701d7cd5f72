"""ISO 3166-1 alpha-2 country codes, with their Spanish names.

The list comes from the CLDR territory data that Babel ships (already a dependency of
followthemoney); importing followthemoney's own country type costs over a second of
start-up for every CLI command, Babel's table a few milliseconds.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

# CLDR pseudo-territories that are not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@cache
def country_names() -> dict[str, str]:
    """Alpha-2 code -> Spanish name, for every country alianza accepts."""
    territories = Locale.parse("es").territories
    return {
        code: str(name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def normalize_country(value: str) -> str:
    """Upper-case alpha-2 code, or ``ValueError`` for an unknown country."""
    code = value.strip().upper()
    if code not in country_names():
        raise ValueError(f"país desconocido '{value}' (use ISO 3166 alfa-2, p. ej. CL, EC)")
    return code
