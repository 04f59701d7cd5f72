"""The Fellegi–Sunter model for persons of the region, as Splink settings.

Six comparisons, each a ladder of levels from the strongest agreement down. Splink learns
how much each level says (m and u probabilities) without labels: u from random pairs, m by
expectation maximisation. What is ours is the ladder: what counts as agreement for names
and dates as registries of the region write them.

* **given** (first given name): all given names equal; first equal (compound name cut to
  one word); same Spanish phonetic key (b/v, s/z/c, ll/y, h, g/j); close spelling; one
  character off or two swapped; one is the other's initial; name in the surname box and
  the reverse.
* **surnames**: both equal; first equal and the second missing on one side (foreign
  registries keep one); both sound alike; first sounds alike and the second, written on
  both sides, differs (cousins, namesakes); first sounds alike; crossed (paternal written
  as maternal); boxes swapped with the given name; close spelling. Exact agreement is weighed
  by how common the surname is (term frequencies), so González agrees less than Quishpe.
* **birth**: equal; day and month swapped; same day and month a year off; one digit off or
  two swapped; same year where one side is a conventional date (01-01, 06-15, 06-30,
  07-01: the day was not known); same year.
* **document**: same number once check digits and prefixes are set aside, across document
  types; one digit off or two swapped; different types (a passport and a national ID do
  not contradict each other); different numbers of the same type (a strong disagreement).
* **sex**, **nationality**: equal or not.

Every level is written once, as a :class:`Level`: plain SQL or one of Splink's own levels
(so the same model runs on DuckDB and on Spark), its twin in Python (so online screening
judges a pair exactly as batch linkage does: a test holds them equal) and its label in
Spanish and English (the explanations a border officer reads). Blocking rules decide
which pairs are scored at all: each is a cheap join on agreeing keys, and together they
let through every corruption above.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jellyfish
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator
from splink.blocking_rule_library import CustomRule

LinkType = Literal["link_only", "dedupe_only"]
Features = Mapping[str, Any]
Test = Callable[[Features, Features], bool]


@dataclass(frozen=True, slots=True)
class Level:
    """One rung of a comparison: its SQL (or Splink level), its Python twin, its labels."""

    label: str  # Spanish, as the console speaks
    label_en: str
    test: Test
    sql: str = ""  # over <column>_l / <column>_r; empty when ``splink`` is given
    splink: Any = None  # a Splink library level, for functions that differ by dialect
    tf: str = ""  # term-frequency column: agreement on a common value counts for less
    null: bool = False
    # Neither for nor against (m = u, fixed): a rung that only keeps a pair out of the
    # rungs below it, because another comparison already counts the same evidence.
    neutral: bool = False

    def creator(self) -> Any:
        """The Splink comparison level."""
        if self.null:
            return cll.CustomLevel(self.sql, self.label).configure(is_null_level=True)
        level = self.splink or cll.CustomLevel(self.sql, self.label)
        if self.neutral:
            return level.configure(
                m_probability=0.01,
                u_probability=0.01,
                fix_m_probability=True,
                fix_u_probability=True,
            )
        if self.tf:
            level = level.configure(
                tf_adjustment_column=self.tf, disable_tf_exact_match_detection=True
            )
        return level


@dataclass(frozen=True, slots=True)
class Comparison:
    """A ladder of levels for one aspect of a person; the last rung (else) is implicit."""

    name: str
    label: str
    label_en: str
    levels: tuple[Level, ...]
    # Starting m of the else rung (EM moves it if training sees the rung): how often the
    # same person is recorded with values this different.
    else_m: float | None = None

    def creator(self) -> Any:
        """The Splink comparison."""
        rest: Any = cll.ElseLevel()
        if self.else_m is not None:
            rest = rest.configure(m_probability=self.else_m)
        return cl.CustomComparison(
            output_column_name=self.name,
            comparison_description=self.label,
            comparison_levels=[*(lv.creator() for lv in self.levels), rest],
        )

    def level_of(self, left: Features, right: Features) -> int:
        """Index of the first level that holds (``len(levels)``: the else rung)."""
        for i, level in enumerate(self.levels):
            if level.test(left, right):
                return i
        return len(self.levels)


# Python twins of SQL's three-valued logic: a comparison with NULL is not true.
def _eq(a: str, b: str | None = None) -> Test:
    b = b or a
    return lambda x, y: x[a] is not None and x[a] == y[b]


def _differ(column: str) -> Test:
    return lambda x, y: x[column] is not None and y[column] is not None and x[column] != y[column]


def _missing(*columns: str) -> Test:
    return lambda x, y: any(x[c] is None or y[c] is None for c in columns)


def _null(*columns: str) -> Level:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in columns)
    return Level("falta", "missing", _missing(*columns), sql=sql, null=True)


def _close(column: str, threshold: float) -> Test:
    return lambda x, y: (
        x[column] is not None
        and y[column] is not None
        and jellyfish.jaro_winkler_similarity(x[column], y[column]) >= threshold
    )


def _jaro_winkler(column: str, threshold: float) -> Level:
    return Level(
        f"escritura parecida (≥ {threshold:g})",
        f"similar spelling (≥ {threshold:g})",
        lambda x, y: jellyfish.jaro_winkler_similarity(x[column], y[column]) >= threshold,
        splink=cll.JaroWinklerLevel(column, threshold),
    )


def _typo(column: str) -> Level:
    return Level(
        "un carácter distinto o dos cambiados",
        "one character off or two swapped",
        lambda x, y: jellyfish.damerau_levenshtein_distance(x[column], y[column]) <= 1,
        splink=cll.DamerauLevenshteinLevel(column, 1),
    )


def _both(first: Test, second: Test) -> Test:
    return lambda x, y: first(x, y) and second(x, y)


def _either(first: Test, second: Test) -> Test:
    return lambda x, y: first(x, y) or second(x, y)


_SWAPPED = Level(
    "nombre y apellido en casillas cruzadas",
    "given name and surname in swapped boxes",
    _both(_eq("given_1", "surname_1"), _eq("surname_1", "given_1")),
    sql="given_1_l = surname_1_r AND surname_1_l = given_1_r",
)
# The same event seen from the surnames: counted once, by the given names (counting it
# in both gave swapped boxes +26 bits, more than every name agreeing, and linked one
# "GONZALEZ AGUILERA, CARLOS" to 485 Carlos González at 1M x 1M).
_SWAPPED_SEEN = Level(
    _SWAPPED.label,
    _SWAPPED.label_en,
    _SWAPPED.test,
    sql=_SWAPPED.sql,
    neutral=True,
)


#: Month and day a registry writes when it knows only the year of birth (MM-DD).
IMPUTED_DAYS = frozenset({"01-01", "06-15", "06-30", "07-01"})
_IMPUTED_SQL = ", ".join(f"'{day}'" for day in sorted(IMPUTED_DAYS))


def _initial(x: Features, y: Features) -> bool:
    a, b = x["given_1"], y["given_1"]
    return (len(a) == 1 or len(b) == 1) and a[0] == b[0]


GIVEN = Comparison(
    "given",
    "nombres de pila",
    "given names",
    (
        _null("given_1"),
        Level(
            "todos iguales", "all equal", _eq("given_names"), sql="given_names_l = given_names_r"
        ),
        Level(
            "primer nombre igual",
            "first given name equal",
            _eq("given_1"),
            sql="given_1_l = given_1_r",
            tf="given_1",
        ),
        Level(
            "primer nombre suena igual",
            "first given name sounds alike",
            _eq("given_1_phonetic"),
            sql="given_1_phonetic_l = given_1_phonetic_r",
        ),
        _jaro_winkler("given_1", 0.9),
        # A slip in a short name (ROSA/RÑSA, SARA/SRA, LUIS/LJIS) stays below the spelling
        # threshold: without this rung it counted as wholly different given names, the
        # evidence that tells twins apart, and EM learnt that evidence weaker than it is.
        _typo("given_1"),
        Level(
            "inicial del nombre",
            "initial of the given name",
            _initial,
            sql="(length(given_1_l) = 1 OR length(given_1_r) = 1)"
            " AND substr(given_1_l, 1, 1) = substr(given_1_r, 1, 1)",
        ),
        _SWAPPED,
    ),
)

SURNAMES = Comparison(
    "surnames",
    "apellidos",
    "surnames",
    (
        _null("surname_1_core"),
        Level(
            "ambos apellidos iguales",
            "both surnames equal",
            _both(_eq("surname_1_core"), _eq("surname_2_core")),
            sql="surname_1_core_l = surname_1_core_r AND surname_2_core_l = surname_2_core_r",
            tf="surname_1_core",
        ),
        Level(
            "primer apellido igual, falta el segundo",
            "first surname equal, second missing",
            _both(_eq("surname_1_core"), _missing("surname_2_core")),
            sql="surname_1_core_l = surname_1_core_r"
            " AND (surname_2_core_l IS NULL OR surname_2_core_r IS NULL)",
            tf="surname_1_core",
        ),
        Level(
            "ambos apellidos suenan igual",
            "both surnames sound alike",
            _both(_eq("surname_1_phonetic"), _eq("surname_2_phonetic")),
            sql="surname_1_phonetic_l = surname_1_phonetic_r"
            " AND surname_2_phonetic_l = surname_2_phonetic_r",
        ),
        # Two people of the same first surname and given name are told apart by the
        # second surname when both registries wrote one: without these rungs such a pair
        # fell into "first surname sounds alike", which is mostly the same person written
        # with one surname, and common names linked cousins and namesakes (independent
        # registries, issue 11). A slip in the second surname is not a different one.
        Level(
            "primer apellido suena igual, el segundo parecido",
            "first surname sounds alike, the second spelled close",
            _both(_eq("surname_1_phonetic"), _close("surname_2_core", 0.88)),
            splink=cll.And(
                cll.CustomLevel("surname_1_phonetic_l = surname_1_phonetic_r"),
                cll.JaroWinklerLevel("surname_2_core", 0.88),
            ),
        ),
        Level(
            "primer apellido suena igual, el segundo distinto",
            "first surname sounds alike, the second differs",
            _both(_eq("surname_1_phonetic"), _differ("surname_2_core")),
            sql="surname_1_phonetic_l = surname_1_phonetic_r"
            " AND surname_2_core_l <> surname_2_core_r",
        ),
        Level(
            "primer apellido suena igual",
            "first surname sounds alike",
            _eq("surname_1_phonetic"),
            sql="surname_1_phonetic_l = surname_1_phonetic_r",
        ),
        Level(
            "apellidos cruzados (paterno por materno)",
            "surnames crossed (paternal as maternal)",
            _either(
                _eq("surname_1_core", "surname_2_core"), _eq("surname_2_core", "surname_1_core")
            ),
            sql="surname_1_core_l = surname_2_core_r OR surname_2_core_l = surname_1_core_r",
        ),
        _SWAPPED_SEEN,
        _jaro_winkler("surname_1_core", 0.88),
    ),
)


def _twins(x: Features, y: Features) -> bool:
    a, b = x["given_1"], y["given_1"]
    return (
        x["birth_date"] is not None
        and x["birth_date"] == y["birth_date"]
        and x["surname_1_core"] is not None
        and x["surname_1_core"] == y["surname_1_core"]
        and a is not None
        and b is not None
        and a[0] != b[0]
        and x["given_1_phonetic"] != y["given_1_phonetic"]
        and b not in (x["given_names"] or "")
        and a not in (y["given_names"] or "")
    )


# Twins share their surnames and their date of birth and nothing else a registry writes
# but the given name (and the document). Fellegi–Sunter adds the surnames' and the date's
# agreement as if independent, about 25 bits together, and linked twins whenever their
# documents were missing or of different types (independent registries, issue 11). Where
# the given names have nothing in common (first letter, sound, neither name among the
# other's), the same surname and the same date are what a family shares: the date counts
# for nothing, and only the document can still link the pair.
_TWINS = Level(
    "misma fecha, mismo apellido, nombres sin nada en común (gemelos)",
    "same date and surname, given names with nothing in common (twins)",
    _twins,
    sql="birth_date_l = birth_date_r AND surname_1_core_l = surname_1_core_r"
    " AND substr(given_1_l, 1, 1) <> substr(given_1_r, 1, 1)"
    " AND given_1_phonetic_l <> given_1_phonetic_r"
    " AND instr(given_names_l, given_1_r) = 0 AND instr(given_names_r, given_1_l) = 0",
    neutral=True,
)

BIRTH = Comparison(
    "birth",
    "fecha de nacimiento",
    "date of birth",
    (
        _null("birth_date"),
        _TWINS,
        Level("igual", "equal", _eq("birth_date"), sql="birth_date_l = birth_date_r"),
        Level(
            "día y mes cambiados",
            "day and month swapped",
            _eq("birth_swapped", "birth_date"),
            sql="birth_swapped_l = birth_date_r",
        ),
        Level(
            "mismo día y mes, un año de diferencia",
            "same day and month, one year apart",
            lambda x, y: (
                x["birth_md"] == y["birth_md"] and abs(x["birth_year"] - y["birth_year"]) == 1
            ),
            sql="birth_md_l = birth_md_r AND abs(birth_year_l - birth_year_r) = 1",
        ),
        _typo("birth_date"),
        # A registry that does not know the day writes a convention (1 January above all;
        # 15 June, 30 June or 1 July in some offices): the year is then all the date says,
        # and it says it more surely than two real dates that only share their year.
        Level(
            "mismo año, una fecha convencional",
            "same year, one date a convention",
            lambda x, y: (
                x["birth_year"] == y["birth_year"]
                and (x["birth_md"] in IMPUTED_DAYS or y["birth_md"] in IMPUTED_DAYS)
            ),
            sql="birth_year_l = birth_year_r"
            f" AND (birth_md_l IN ({_IMPUTED_SQL}) OR birth_md_r IN ({_IMPUTED_SQL}))",
        ),
        Level("mismo año", "same year", _eq("birth_year"), sql="birth_year_l = birth_year_r"),
    ),
    # Where no training pair of the same person has wholly different dates, EM never sees
    # this rung and Splink's default m (-6.9 bits) let a full name outweigh dates decades
    # apart. Once swaps, a year off and a one-digit typo have rungs of their own, such a
    # date is rare for the same person: EM starts from 1 in 1,000 and moves it where the
    # data shows the rung (FEBRL4 does).
    else_m=0.001,
)

DOCUMENT = Comparison(
    "document",
    "documento",
    "document",
    (
        _null("doc_key"),
        Level("mismo número", "same number", _eq("doc_key"), sql="doc_key_l = doc_key_r"),
        _typo("doc_key"),
        Level(
            "documentos de distinto tipo",
            "documents of different types",
            lambda x, y: (
                x["doc_type"] is None or y["doc_type"] is None or x["doc_type"] != y["doc_type"]
            ),
            sql="doc_type_l IS NULL OR doc_type_r IS NULL OR doc_type_l <> doc_type_r",
        ),
    ),
)

SEX = Comparison(
    "sex", "sexo", "sex", (_null("sex"), Level("igual", "equal", _eq("sex"), sql="sex_l = sex_r"))
)

NATIONALITY = Comparison(
    "nationality",
    "nacionalidad",
    "nationality",
    (
        _null("nationality"),
        Level("igual", "equal", _eq("nationality"), sql="nationality_l = nationality_r"),
    ),
)

#: The six comparisons, in the order Splink's model lists them.
COMPARISONS: tuple[Comparison, ...] = (GIVEN, SURNAMES, BIRTH, DOCUMENT, SEX, NATIONALITY)


def comparisons() -> list[Any]:
    """The Splink comparisons, strongest level first."""
    return [c.creator() for c in COMPARISONS]


#: Pairs scored at all: a pair is compared when any one rule lets it through.
BLOCKING_RULES: tuple[str, ...] = (
    "l.doc_key = r.doc_key",
    "l.surname_1_phonetic = r.surname_1_phonetic AND l.given_1_phonetic = r.given_1_phonetic",
    "l.surname_1_phonetic = r.surname_1_phonetic AND l.birth_date = r.birth_date",
    "l.given_1_phonetic = r.given_1_phonetic AND l.birth_date = r.birth_date",
    "l.name_sorted = r.name_sorted",
    "l.surname_1_phonetic = r.surname_2_phonetic AND l.given_1_phonetic = r.given_1_phonetic",
    "l.surname_2_phonetic = r.surname_1_phonetic AND l.given_1_phonetic = r.given_1_phonetic",
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
