"""The shared input gates: text, dates, JSON depth, and problems that can always be rendered."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alianza.codes.dates import earliest_today, happened, iso_date, latest_today, not_past
from alianza.codes.problems import encodable, problem_body
from alianza.codes.shape import check_canonical, check_depth, json_depth, loads
from alianza.codes.text import MAX_MARKS, clean_text, safe, shown, text_problem
from alianza.errors import InputError


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  María José ", "María José"),
        ("Jose\u0301", "José"),  # NFC: one code point, as typed on another keyboard
        ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
        # Pointed Hebrew: NFC puts the two marks on shin in canonical order.
        (
            "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd",
            "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd",
        ),
        ("Juan\n", "Juan"),  # whitespace at the ends goes first
        ("", ""),  # emptiness is the field's own rule (min_length)
        ("Ali\u200fBaba", "Ali\u200fBaba"),  # a plain RLM reorders nothing
    ],
)
def test_clean_text_normalises(raw: str, clean: str) -> None:
    assert clean_text(raw, field="f") == clean


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("Ana\x00", "control (U+0000)"),
        ("Ana\x07", "control (U+0007)"),
        ("Ana\x1b[31m", "control (U+001B)"),
        ("An\x85a", "control (U+0085)"),
        ("Ana\u202eanA", "bidireccional (U+202E)"),
        ("Ana\u2066x\u2069", "bidireccional (U+2066)"),
        ("Ana\ud800", "sustituto UTF-16 suelto (U+D800)"),
        ("Ana\udfff", "sustituto"),
        ("Ana\uffff", "no-carácter"),
        ("Ana\nMaría", "salto de línea"),
        ("Ana\tMaría", "tabulador"),
        ("Ana\u2028María", "salto de línea"),
        ("\u200b\u200c\u200d", "ningún carácter visible"),
        ("\ufeff", "ningún carácter visible"),
        ("\u0301\u0301", "ningún carácter visible"),
        ("\u3164", "ningún carácter visible"),
        ("\u200b \u2060", "ningún carácter visible"),
        ("A" + "\u0301" * 119, "marcas diacríticas"),
        ("x" + "\u0301" * (MAX_MARKS + 1), "marcas diacríticas"),
    ],
)
def test_clean_text_refuses_with_the_field_and_reason(raw: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        clean_text(raw, field="data.given_names")
    assert info.value.problems[0].field == "data.given_names"
    assert words in info.value.problems[0].message
    info.value.message.encode("utf-8")  # the reason never echoes the bad text


def test_multiline_fields_keep_newlines_and_tabs_only() -> None:
    note = "Primera línea\r\nsegunda\tcon tab\rtercera\u2029cuarta"
    assert clean_text(note, field="notes", multiline=True) == (
        "Primera línea\nsegunda\tcon tab\ntercera\ncuarta"
    )
    for bad in ("a\x00b", "a\x07b", "a\u202eb", "a\ud800b", "\n\t\u200b\n"):
        _, problem = text_problem(bad, multiline=True)
        assert problem is not None


def test_up_to_max_marks_are_accepted() -> None:
    text = "x" + "\u0300\u0301\u0302\u0303\u0304"[:MAX_MARKS]
    assert text_problem(text)[1] is None


def test_shown_and_safe_make_any_text_printable() -> None:
    echoed = shown("\ud800\x07\u202e" + "x" * 200)
    assert echoed.startswith("\\ud800\\x07\\u202e") and echoed.endswith("…")
    echoed.encode("utf-8")
    assert safe("a\ud800b") == "a\\ud800b"
    assert safe("María") == "María"
    assert shown(["a"]) == "['a']"


NASTY = st.one_of(
    st.characters(),
    st.characters(categories=["Cs", "Cc", "Cf", "Mn", "Zl", "Zp"]),
    st.sampled_from("\x00\x07\n\r\t\x85\u202e\u2066\u200b\ufeff\u0301\uffff é"),
)


@given(st.text(alphabet=NASTY, max_size=40))
@settings(max_examples=400, deadline=None)
def test_gate_output_is_always_clean(raw: str) -> None:
    for multiline in (False, True):
        cleaned, problem = text_problem(raw, multiline=multiline)
        if problem is None:
            cleaned.encode("utf-8")
            assert cleaned == cleaned.strip()
            assert not any(
                0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in cleaned
            )
            assert text_problem(cleaned, multiline=multiline) == (cleaned, None)  # idempotent
        shown(raw).encode("utf-8")


def test_iso_dates_only() -> None:
    assert iso_date("1985-07-14") == date(1985, 7, 14)
    assert iso_date(date(1985, 7, 14)) == date(1985, 7, 14)
    for bad in (
        0,
        "0",
        1985,
        "1985",
        "14/07/1985",
        "19850714",
        "1985-02-30",
        True,
        None,
        datetime(1985, 7, 14),
        "١٩٨٥-٠٧-١٤",
        1.5,
    ):
        with pytest.raises(ValueError, match="AAAA-MM-DD"):
            iso_date(bad)


def test_plausible_dates_around_today_anywhere() -> None:
    now = datetime.now(UTC)
    assert happened(date(1900, 1, 1)) and happened(now.date())
    assert happened(latest_today(now) - timedelta(days=1))
    for bad in (date(1899, 12, 31), date(1, 1, 1), latest_today() + timedelta(days=1)):
        with pytest.raises(ValueError):
            happened(bad)
    assert not_past(now.date()) == now.date()
    with pytest.raises(ValueError, match="pasada"):
        not_past(earliest_today() - timedelta(days=1))
    with pytest.raises(ValueError):
        not_past(date(1900, 1, 1))


def test_depth_is_bounded_before_and_after_parsing() -> None:
    assert json_depth('{"a": "[[[[{{{", "b": [[1]]}') == 3
    assert json_depth('["\\"[[["]') == 1
    assert loads('{"a": [1, {"b": 2}]}', field="x") == {"a": [1, {"b": 2}]}
    with pytest.raises(InputError, match="anidado"):
        loads("[" * 5000 + "]" * 5000, field="línea 1")
    with pytest.raises(InputError, match="JSON mal formado"):
        loads("{not json", field="línea 1")
    with pytest.raises(InputError, match="número demasiado largo"):
        loads("1" * 5000, field="línea 1")
    deep: object = 1
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InputError, match="anidado"):
        check_depth(deep, field="data")
    with pytest.raises(InputError, match="anidado"):
        check_canonical(deep, field="envelope")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"a": "\ud800"}, "envelope.a"),
        ({"\ud800": 1}, "sustituto"),
        ({"a": [2**64]}, "64 bits"),
        ({"a": float("nan")}, "finito"),
        ({"a": {1, 2}}, "JSON no representa"),
    ],
)
def test_canonical_refuses_what_cannot_be_signed(value: object, words: str) -> None:
    with pytest.raises(InputError, match=words):
        check_canonical(value, field="envelope")


def test_problem_body_can_always_be_encoded() -> None:
    err = InputError.at("kind\ud800", "tipo desconocido '\udcff'")
    body = problem_body(err)
    json.dumps(body, ensure_ascii=False).encode("utf-8")
    assert "\\ud800" in body["errors"][0]["field"]
    assert encodable({"\ud800": ["\udc00"]}) == {"\\ud800": ["\\udc00"]}
