"""The Fellegi–Sunter model for persons of the region, as Splink settings.

Six comparisons, each a ladder of levels from the strongest agreement down. Splink learns
how much each level says (m and u probabilities) without labels: u from random pairs, m by
expectation maximisation. What is ours is the ladder: what counts as agreement for names
and dates as registries of the region write them.

* **given** (first given name): all given names equal; first equal (compound name cut to
  one word); same Spanish phonetic key (b/v, s/z/c, ll/y, h, g/j); close spelling; one is
  the other's initial; name in the surname box and the reverse.
* **surnames**: both equal; first equal and the second missing on one side (foreign
  registries keep one); both sound alike; first sounds alike; crossed (paternal written as
  maternal); boxes swapped with the given name; close spelling. Exact agreement is weighed
  by how common the surname is (term frequencies), so González agrees less than Quishpe.
* **birth**: equal; day and month swapped; same day and month a year off; one digit off or two
  swapped;
  same year.
* **document**: same number once check digits and prefixes are set aside, across document
  types; one digit off or two swapped; different types (a passport and a national ID do
  not contradict each other); different numbers of the same type (a strong disagreement).
* **sex**, **nationality**: equal or not.

Every level is plain SQL or one of Splink's own levels, so the same model runs on DuckDB
and on Spark. Blocking rules decide which pairs are scored at all: each is a cheap join
on agreeing keys, and together they let through every corruption above.
"""

from __future__ import annotations

from typing import Any, Literal

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator
from splink.blocking_rule_library import CustomRule

LinkType = Literal["link_only", "dedupe_only"]


def _level(sql: str, label: str, **configure: Any) -> Any:
    level = cll.CustomLevel(sql, label)
    return level.configure(**configure) if configure else level


def _null(*columns: str) -> Any:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in columns)
    return {"sql_condition": sql, "label_for_charts": "falta", "is_null_level": True}


def comparisons() -> list[Any]:
    """The six comparisons, strongest level first."""
    swapped_boxes = "given_1_l = surname_1_r AND surname_1_l = given_1_r"
    given = cl.CustomComparison(
        output_column_name="given",
        comparison_description="nombres de pila",
        comparison_levels=[
            _null("given_1"),
            _level("given_names_l = given_names_r", "todos iguales"),
            _level("given_1_l = given_1_r", "primero igual", tf_adjustment_column="given_1"),
            _level("given_1_phonetic_l = given_1_phonetic_r", "primero suena igual"),
            cll.JaroWinklerLevel("given_1", 0.9),
            _level(
                "(length(given_1_l) = 1 OR length(given_1_r) = 1)"
                " AND substr(given_1_l, 1, 1) = substr(given_1_r, 1, 1)",
                "inicial",
            ),
            _level(swapped_boxes, "casillas cruzadas"),
            cll.ElseLevel(),
        ],
    )
    surnames = cl.CustomComparison(
        output_column_name="surnames",
        comparison_description="apellidos",
        comparison_levels=[
            _null("surname_1_core"),
            _level(
                "surname_1_core_l = surname_1_core_r AND surname_2_core_l = surname_2_core_r",
                "ambos iguales",
                tf_adjustment_column="surname_1_core",
                disable_tf_exact_match_detection=True,
            ),
            _level(
                "surname_1_core_l = surname_1_core_r"
                " AND (surname_2_core_l IS NULL OR surname_2_core_r IS NULL)",
                "primero igual, falta el segundo",
                tf_adjustment_column="surname_1_core",
                disable_tf_exact_match_detection=True,
            ),
            _level(
                "surname_1_phonetic_l = surname_1_phonetic_r"
                " AND surname_2_phonetic_l = surname_2_phonetic_r",
                "ambos suenan igual",
            ),
            _level("surname_1_phonetic_l = surname_1_phonetic_r", "primero suena igual"),
            _level(
                "surname_1_core_l = surname_2_core_r OR surname_2_core_l = surname_1_core_r",
                "cruzados",
            ),
            _level(swapped_boxes, "casillas cruzadas"),
            cll.JaroWinklerLevel("surname_1_core", 0.88),
            cll.ElseLevel(),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_description="fecha de nacimiento",
        comparison_levels=[
            _null("birth_date"),
            _level("birth_date_l = birth_date_r", "igual"),
            _level("birth_swapped_l = birth_date_r", "día y mes cambiados"),
            _level(
                "birth_md_l = birth_md_r AND abs(birth_year_l - birth_year_r) = 1",
                "un año de diferencia",
            ),
            cll.DamerauLevenshteinLevel("birth_date", 1),
            _level("birth_year_l = birth_year_r", "mismo año"),
            cll.ElseLevel(),
        ],
    )
    document = cl.CustomComparison(
        output_column_name="document",
        comparison_description="documento",
        comparison_levels=[
            _null("doc_key"),
            _level("doc_key_l = doc_key_r", "mismo número"),
            cll.DamerauLevenshteinLevel("doc_key", 1),
            _level(
                "doc_type_l IS NULL OR doc_type_r IS NULL OR doc_type_l <> doc_type_r",
                "documentos de distinto tipo",
            ),
            cll.ElseLevel(),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_description="sexo",
        comparison_levels=[_null("sex"), _level("sex_l = sex_r", "igual"), cll.ElseLevel()],
    )
    nationality = cl.CustomComparison(
        output_column_name="nationality",
        comparison_description="nacionalidad",
        comparison_levels=[
            _null("nationality"),
            _level("nationality_l = nationality_r", "igual"),
            cll.ElseLevel(),
        ],
    )
    return [given, surnames, birth, document, sex, nationality]


#: Pairs scored at all: a pair is compared when any one rule lets it through.
BLOCKING_RULES: tuple[str, ...] = (
    "l.doc_key = r.doc_key",
    "l.surname_1_phonetic = r.surname_1_phonetic AND l.given_1_phonetic = r.given_1_phonetic",
    "l.surname_1_phonetic = r.surname_1_phonetic AND l.birth_date = r.birth_date",
    "l.given_1_phonetic = r.given_1_phonetic AND l.birth_date = r.birth_date",
    "l.name_sorted = r.name_sorted",
    "l.surname_1_phonetic = r.surname_2_phonetic AND l.given_1_phonetic = r.given_1_phonetic",
    "l.given_1 = r.surname_1 AND l.surname_1 = r.given_1",
    # Typos in a name and a digit slipped in the document: same date, nearby keys.
    "l.birth_date = r.birth_date AND substr(l.doc_key, 1, 3) = substr(r.doc_key, 1, 3)",
    "l.birth_date = r.birth_date AND substr(l.given_1, 1, 2) = substr(r.given_1, 1, 2)",
)

#: Expectation maximisation runs once per rule: each leaves out the comparisons it uses.
TRAINING_RULES: tuple[str, ...] = (
    "l.doc_key = r.doc_key",
    "l.surname_1_phonetic = r.surname_1_phonetic AND l.given_1_phonetic = r.given_1_phonetic"
    " AND l.birth_year = r.birth_year",
    "l.birth_date = r.birth_date",
)

#: Pairs almost surely the same person, to estimate the share of matches among all pairs.
DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.doc_key = r.doc_key AND l.birth_date = r.birth_date",
    "l.name_sorted = r.name_sorted AND l.birth_date = r.birth_date",
)


#: Splink's own default share of matches among all pairs, when nothing better is known.
DEFAULT_PRIOR = 1e-4


def settings(link_type: LinkType, *, prior: float = DEFAULT_PRIOR) -> SettingsCreator:
    """Splink settings for ``link_only`` (two registries) or ``dedupe_only`` (one)."""
    return SettingsCreator(
        link_type=link_type,
        probability_two_random_records_match=prior,
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[CustomRule(rule) for rule in BLOCKING_RULES],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )
