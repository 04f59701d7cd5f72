"""ISO 3166-1 alpha-2 country codes, checked against FollowTheMoney's country list."""

from __future__ import annotations

from followthemoney.types import registry

# FtM's country list also holds pseudo-codes that are not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset({"zz", "eu", "un", "xx"})


def normalize_country(value: str) -> str:
    """Upper-case alpha-2 code, or ``ValueError`` for an unknown country."""
    code = value.strip().lower()
    if len(code) != 2 or code in _NOT_COUNTRIES or registry.country.clean_text(code) != code:
        raise ValueError(f"país desconocido '{value}' (use ISO 3166 alfa-2, p. ej. CL, EC)")
    return code.upper()
