"""From a registry row to the columns the linkage model compares.

Names go through the Hispanic name model (``names.py``), documents through their
validators (``documents.py``); birth dates are split so the model can see a day/month
swap or a year off by one. One row in, one flat dict out, the same for batch linkage and
for online screening, so both judge a pair the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from alianza.identity.documents import check_document, document_key
from alianza.identity.names import KEY_COLUMNS, name_keys, parse_fields

#: Columns of the feature table, after ``unique_id``.
FEATURE_COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    "birth_date",  # YYYY-MM-DD as given
    "birth_year",  # integer year
    "birth_md",  # MM-DD: with the year off by one, this still agrees
    "birth_swapped",  # the date with day and month exchanged, when that is a date too
    "sex",
    "nationality",
    "doc_type",  # as given (CI_EC, RUT_CL, ... PASSPORT) or None
    "doc_key",  # documents.document_key: no check digit, no V/E prefix
    "doc_valid",  # "1" the check digit (or format) holds, "0" it does not
)


def features(row: dict[str, str]) -> dict[str, Any]:
    """The comparison columns of one contract row (missing parts are None)."""
    out: dict[str, Any] = {"unique_id": row["record_id"]}
    out.update(name_keys(parse_fields(row["given_names"], row["surname_1"], row["surname_2"])))
    birth = row["birth_date"] or None
    out["birth_date"] = birth
    out["birth_year"] = int(birth[:4]) if birth else None
    out["birth_md"] = birth[5:] if birth else None
    out["birth_swapped"] = _swapped(birth) if birth else None
    out["sex"] = row["sex"] or None
    out["nationality"] = row["nationality"] or None
    number = row["document_number"]
    if number:
        check = check_document(row["document_type"], number)
        out["doc_type"] = check.type or None
        out["doc_key"] = document_key(check) or None
        out["doc_valid"] = "1" if check.valid else "0"
    else:
        out["doc_type"] = out["doc_key"] = out["doc_valid"] = None
    return out


def _swapped(birth: str) -> str | None:
    year, month, day = birth[:4], birth[5:7], birth[8:10]
    if month == day:
        return None
    try:
        return date(int(year), int(day), int(month)).isoformat()
    except ValueError:
        return None


def feature_frame(rows: Iterable[dict[str, str]]) -> pd.DataFrame:
    """A DataFrame of ``features`` for ``rows``: text columns as pandas strings (VARCHAR)."""
    columns: dict[str, list[Any]] = {name: [] for name in ("unique_id", *FEATURE_COLUMNS)}
    appenders = [(name, columns[name].append) for name in columns]
    for row in rows:
        values = features(row)
        for name, append in appenders:
            append(values[name])
    frame = pd.DataFrame(columns)
    for name in frame.columns:
        # Splink registers an all-None object column as type NULL; pandas strings (and a
        # nullable integer for the year) keep the column types whatever the data.
        frame[name] = frame[name].astype("Int64" if name == "birth_year" else "string")
    return frame
