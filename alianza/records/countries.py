"""ISO 3166-1 alpha-2 country codes, checked against FollowTheMoney's country list."""

from __future__ import annotations

from followthemoney.types import registry


def normalize_country(value: str) -> str:
    """Upper-case alpha-2 code, or ``ValueError`` for an unknown country."""
    code = value.strip().lower()
    if len(code) != 2 or registry.country.clean_text(code) != code:
        raise ValueError(f"país desconocido '{value}' (use ISO 3166 alfa-2, p. ej. CL, EC)")
    return code.upper()
