"""Name model for matching people across Chile, Ecuador, Peru, Colombia and Venezuela.

A person is ``given`` names plus two surnames (paternal ``surname_1``, maternal
``surname_2``), every part *folded*: upper case ASCII, no accents, Ñ→N, ICAO ``NXX``→N,
punctuation as spaces. Parsing repairs what registries and forms typically get wrong, and
:func:`name_keys` turns a :class:`Name` into the flat columns a Splink/DuckDB linker compares.

Decisions, so the linker can rely on them:

* **Units.** Words are grouped into units: a particle (``DE``, ``DEL``, ``DE LA``, ``LOS``,
  ``DA``, ``VAN``…) or ``SAN``/``SANTA``/``SANTO`` attaches to the word after it, so
  ``DE LA FUENTE``, ``SAN MARTIN`` and the given name ``DE LOS ANGELES`` are one unit each.
  ``Name.given`` is a tuple of units (``("MARIA", "DE LOS ANGELES")``): initials and the
  first given name then never come from a particle. In surnames ``Y`` joins the units
  around it (next point); in given names it is an ordinary word (an initial: Yolanda).
* **Y and hyphens between surnames.** Old style ``ORTEGA Y GASSET`` is paternal *y*
  maternal, and forms write ``GONZALEZ-PEREZ`` for both surnames: with the second surname
  box empty they are split (``ORTEGA`` / ``GASSET``). With both boxes filled the compound
  stays whole in ``surname_1`` and its core is glued (``ORTEGAGASSET``).
* **Particles in cores.** :func:`surname_core` drops particles and spaces but keeps SAN/SANTA
  (``San Martín`` is a name, not a preposition): ``DE LA FUENTE``→``FUENTE``,
  ``SAN MARTIN``→``SANMARTIN``. A glued prefix ``DELOS``/``DELAS``/``DELA``/``DEL`` (longest
  first) is cut when at least 3 letters remain and they start like a Spanish word (vowel,
  consonant+vowel, or a BR/CR/PL… cluster): ``DELAFUENTE``→``FUENTE``, ``DELRIO``→``RIO``.
  ``DE`` is cut only before a vowel (``DEARMAS``→``ARMAS``). Real surnames that look glued
  are listed in ``_PROTECTED`` (DELGADO, DELGADILLO…) and the readings the rule gets wrong
  in ``_GLUED`` (``DELEON``→``LEON``, not ``EON``). Glued ``LA``/``LAS``/``LOS`` are never cut:
  LARA, LAGOS, LASSO, LOSADA are surnames of their own.
* **Order.** ``parse_full`` reads ``SURNAMES, GIVEN`` after a comma, ``SURNAMES<<GIVEN``
  in MRZ form (without the ``P<CHL`` prefix), and otherwise natural order: the last two
  units are the surnames, except that with three units a devotional tail (``MARIA DEL
  CARMEN PEREZ``, ``JUAN DE DIOS ROJAS``) stays in the given names. Upper-case registries
  also write ``PEREZ GOMEZ JUAN`` without a comma; that cannot be told apart from ``JUAN
  PEREZ GOMEZ`` without a name dictionary, so it is read in natural order and the
  order-free ``name_sorted`` key is there for it. ``JUAN CARLOS PEREZ`` (one surname) is
  likewise read as JUAN + CARLOS PEREZ.
* **Phonetics.** No maintained library does Latin-American Spanish: jellyfish and
  ``rigour.text.phonetics`` have English soundex/metaphone/NYSIIS; abydos 0.5.0 (last
  release 2020, checked from its wheel) has ``SpanishMetaphone`` (Castilian: Z≠S, X kept,
  vowels dropped so GARCIA=GARCES, cut to 6 letters) and ``PhoneticSpanish`` (a soundex,
  same vowel loss). :func:`phonetic` is written by hand: seseo, yeísmo, B=V, silent H,
  vowels kept. X is J only word-initially before a vowel (XIMENA, XIMENEZ, XAVIER);
  elsewhere it is KS (ALEXANDRA, MAXIMO). Initial HUA/GUA/WA all read UA (HUAMAN, GUAMAN,
  WAMAN are one Quechua name).
* **Empty is None.** :func:`name_keys` gives ``None`` for a missing part, so that two records
  with no second surname are NULL to Splink, not an exact match on ``""``.

Folding: Latin letters with diacritics (all of Spanish) go through NFKD and lose their
combining marks, about 1 µs per new string. Anything still not ASCII (other scripts, Ø, ß,
Ł) goes to ``rigour.text.translit.ascii_text`` (rigour's Rust ``maybe_ascii`` with
``normality``'s ICU fallback). It is not the first step because ``maybe_ascii`` measured
~300 µs per *new* accented string (it caches, but 1M records are mostly new strings) and
``normality.ascii_text`` ~13 µs. Checked and not used: rigour's ``Normalize.NAME`` flags
(tokenise but keep accents; apostrophes vanish instead of splitting), ``rigour.names``
(its ordering/tagging has no two-surname model and no Spanish particles) and its stopword
list (multilingual, not a particle list). NXX, particles, units and repairs are done here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rigour.text.translit import ascii_text

__all__ = [
    "KEY_COLUMNS",
    "PARTICLES",
    "Name",
    "fold",
    "name_keys",
    "parse_fields",
    "parse_full",
    "phonetic",
    "surname_core",
]

#: Particles dropped from surname cores; they attach to the next word in a unit.
PARTICLES: frozenset[str] = frozenset(
    {"DE", "DEL", "LA", "LAS", "LOS", "DA", "DAS", "DO", "DOS", "DI", "DU", "VAN", "VON", "DER"}
)
# Attach to the next word like particles, but stay in the core (SAN MARTIN, SANTA CRUZ).
_NAME_PREFIXES = frozenset({"SAN", "SANTA", "SANTO"})
_ATTACH = PARTICLES | _NAME_PREFIXES
# Inside given names only Spanish/Portuguese ones (VAN, DI… there are given names).
_GIVEN_ATTACH = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "DA", "DAS", "DO", "DOS"})
# Devotional tails of compound given names: "MARIA DEL CARMEN PEREZ" has one surname.
_GIVEN_TAILS = frozenset(
    {
        "DEL CARMEN",
        "DE LOS ANGELES",
        "DE DIOS",
        "DE JESUS",
        "DEL PILAR",
        "DEL ROSARIO",
        "DEL SOCORRO",
        "DE LOURDES",
        "DE FATIMA",
        "DEL MAR",
    }
)
_GLUED_PREFIXES = ("DELOS", "DELAS", "DELA", "DEL")
_PROTECTED = frozenset({"DELGADO", "DELGADILLO", "DELFIN", "DELFINO", "DELANO", "DELIA"})
# Glued forms the prefix rule reads wrongly: DEL+vowel that is really DE+L… or DEL+A….
_GLUED = {
    **{f"DE{w}": w for w in ("LEON", "LARA", "LUNA", "LUCA", "LIMA", "LORENZO")},
    **{f"DEL{w}": w for w in ("AGUILA", "ALAMO")},
}
_ONSET = re.compile(r"[AEIOU]|[BCDFGKPT][LR]|CH|LL|RR|[B-DF-HJ-NP-TV-Z][AEIOUY]")
_VOWEL = frozenset("AEIOU")
_NON_LETTERS = re.compile(r"[^A-Z]+")
_MARKS = dict.fromkeys(range(0x300, 0x370))  # combining diacritics, as left by NFKD
_CACHE = 1 << 17


@lru_cache(maxsize=_CACHE)
def fold(text: str) -> str:
    """Upper-case ASCII letters and single spaces: ``"Muñoz-O'Higgins"`` → ``MUNOZ O HIGGINS``.

    ICAO 9303 writes Ñ as ``N`` or ``NXX``; ``NXX`` never occurs in a Spanish name, so it is
    read as N everywhere.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_MARKS)
        if not text.isascii():  # another script, or Ø, ß, Ł: no decomposition to ASCII
            text = ascii_text(text)
    upper = text.upper().replace("NXX", "N")
    return _NON_LETTERS.sub(" ", upper).strip()


def _units(words: list[str], attach: frozenset[str], y_after: int) -> tuple[str, ...]:
    """Group words into units; ``Y`` joins two units once ``y_after`` units precede it."""
    units: list[str] = []
    pending: list[str] = []
    join = False
    for word in words:
        if word == "Y" and not pending and not join and len(units) >= y_after:
            join = True
            continue
        if word in attach:
            pending.append(word)
            continue
        unit = " ".join((*pending, word)) if pending else word
        pending.clear()
        if join:
            units[-1] = f"{units[-1]} Y {unit}"
            join = False
        else:
            units.append(unit)
    if pending:  # trailing particles ("... DE") stay with the last unit; a trailing Y goes
        if units:
            units[-1] = " ".join((units[-1], *pending))
        else:
            units.append(" ".join(pending))
    return tuple(units)


@lru_cache(maxsize=_CACHE)
def _given_units(folded: str) -> tuple[str, ...]:
    return _units(folded.split(), _GIVEN_ATTACH, y_after=1 << 30)


@lru_cache(maxsize=_CACHE)
def _surname_units(folded: str) -> tuple[str, ...]:
    return _units(folded.split(), _ATTACH, y_after=1)


@lru_cache(maxsize=_CACHE)
def _natural_units(folded: str) -> tuple[str, ...]:
    # The first unit is always a given name, so a Y right after it is an initial.
    return _units(folded.split(), _ATTACH, y_after=2)


def _unglue(word: str) -> str:
    if word in _PROTECTED:
        return word
    fixed = _GLUED.get(word)
    if fixed is not None:
        return fixed
    for prefix in _GLUED_PREFIXES:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 3 and _ONSET.match(rest):
            return rest
    if word.startswith("DE") and len(word) >= 5 and word[2] in _VOWEL:
        return word[2:]
    return word


@lru_cache(maxsize=_CACHE)
def surname_core(surname: str) -> str:
    """The surname without particles, conjunctions or spaces, for comparison.

    ``DE LA FUENTE``, ``DELAFUENTE`` and ``FUENTE`` → ``FUENTE``; ``SAN MARTIN`` →
    ``SANMARTIN``; ``ORTEGA Y GASSET`` → ``ORTEGAGASSET``. Accepts raw or folded text.
    """
    folded = fold(surname)
    words = [w for w in folded.split() if w not in PARTICLES and w != "Y"]
    if not words:  # only particles, e.g. a surname box holding "DE"
        return folded.replace(" ", "")
    words[0] = _unglue(words[0])
    return "".join(words)


@lru_cache(maxsize=_CACHE)
def _given_core(unit: str) -> str:
    words = [w for w in unit.split() if w not in _GIVEN_ATTACH]
    return "".join(words) if words else unit.replace(" ", "")


# Phonetic rules, applied in this order; plain str.replace/translate where no context is
# needed (a third of the time of a regex chain, which matters on a cache miss).
_X_J = re.compile(r"^X(?=[AEIOU])")  # XIMENA, XIMENEZ, XAVIER
_UA = re.compile(r"^(?:HU|GU|W)(?=A)")  # HUAMAN = GUAMAN = WAMAN
_QU = re.compile(r"QU(?=[EI])")
_G_J = re.compile(r"G(?=[EI])")
_GU_G = re.compile(r"GU(?=[EI])")  # GUE/GUI: hard G, U silent (GÜ is already folded to GU)
_C_S = re.compile(r"C(?=[EI])")
_Y_I = re.compile(r"Y(?![AEIOU])")  # GODOY, MAYRA, YSABEL: Y as a vowel
_N_M = re.compile(r"N(?=[BP])")
_S_ES = re.compile(r"^S(?=[^AEIOU])")  # STEFANY = ESTEFANY
_DOUBLE = re.compile(r"(.)\1+")
_LETTERS = str.maketrans({"Q": "K", "C": "K", "Z": "S", "V": "B", "W": "U"})


@lru_cache(maxsize=_CACHE)
def phonetic(word: str) -> str:
    """Spanish (Latin-American) phonetic key of one word (folded first); ``""`` if empty.

    B=V, S=Z=C(E,I), K=C(A,O,U)=QU(E,I)=Q, Y=LL (I as a vowel), H silent (CH kept),
    J=G(E,I), GU(E,I)=G, PH=F, double letters once, vowels kept. See the module docstring.
    """
    key = fold(word).replace(" ", "")
    # CH is one sound: a placeholder keeps it from the C and H rules.
    key = key.replace("PH", "F").replace("CH", "0")
    if "X" in key:
        key = _X_J.sub("J", key).replace("X", "KS")
    key = _UA.sub("U", key)
    key = _QU.sub("K", key)
    if "G" in key:
        key = _GU_G.sub("G", _G_J.sub("J", key))
    key = _C_S.sub("S", key).translate(_LETTERS).replace("LL", "Y")
    if "Y" in key:
        key = _Y_I.sub("I", key)
    key = _N_M.sub("M", key.replace("H", ""))
    key = _DOUBLE.sub(r"\1", _S_ES.sub("ES", key))
    return key.replace("0", "CH")


@dataclass(frozen=True, slots=True)
class Name:
    """A folded person name: given units and two surnames (``""`` when absent)."""

    given: tuple[str, ...]
    surname_1: str
    surname_2: str

    @property
    def given_names(self) -> str:
        return " ".join(self.given)

    @property
    def first_given(self) -> str:
        return self.given[0] if self.given else ""

    @property
    def initials(self) -> str:
        """First letter of each given unit's core word: ``MARIA DE LOS ANGELES`` → ``MA``."""
        return "".join(core[0] for core in map(_given_core, self.given) if core)

    @property
    def surnames(self) -> tuple[str, ...]:
        return tuple(s for s in (self.surname_1, self.surname_2) if s)

    @property
    def full(self) -> str:
        """Natural order, e.g. ``JUAN CARLOS GONZALEZ PEREZ``."""
        return " ".join((*self.given, *self.surnames))


def _split_surnames(units: tuple[str, ...]) -> tuple[str, str]:
    """Paternal and maternal surname from the units of one box (``A Y B`` is A and B)."""
    if not units:
        return "", ""
    if len(units) == 1:
        first, _, second = units[0].partition(" Y ")
        return first, second
    return units[0], " ".join(units[1:])


def parse_fields(given_names: str, surname_1: str, surname_2: str) -> Name:
    """Build a :class:`Name` from separate form fields, repairing common box errors.

    * both surnames in ``surname_1`` with ``surname_2`` empty: split after the first unit
      (``DE LA FUENTE PEREZ``, ``GONZALEZ-PEREZ``, ``ORTEGA Y GASSET``); ``SAN MARTIN``
      is one unit and stays whole;
    * only ``surname_2`` filled: it becomes ``surname_1``;
    * the whole name in one box: both surname boxes empty, or the given box empty and
      ``surname_1``, holding a comma, ``<`` or three or more units: :func:`parse_full`
      (one or two words alone in the given box stay given names).
    """
    given = fold(given_names)
    s1 = fold(surname_1)
    s2 = fold(surname_2)
    if not s1:
        s1, s2 = s2, ""
    if not s1:
        # No surname box filled: the whole name may have gone into the given box. Only
        # read it as a full name when it says so (comma, MRZ, three or more units): one
        # or two words are given names whose surnames are missing ("ALEXANDER",
        # "JUAN CARLOS"), and name_sorted still matches a "JUAN PEREZ" written there.
        if "," in given_names or "<" in given_names or len(_natural_units(given)) >= 3:
            return parse_full(given_names)
        return Name(_given_units(given), "", "")
    if not given and not s2:
        if "," in surname_1 or "<" in surname_1:
            return parse_full(surname_1)
        if len(_natural_units(s1)) >= 3:
            return parse_full(s1)
    if not s2:
        s1, s2 = _split_surnames(_surname_units(s1))
    return Name(_given_units(given), s1, s2)


def parse_full(text: str) -> Name:
    """Parse a full name in comma, MRZ (``SURNAMES<<GIVEN``) or natural order."""
    if "<" in text or "," in text:
        surnames, _, given = text.strip(" <\n").partition("<<" if "<" in text else ",")
        s1, s2 = _split_surnames(_surname_units(fold(surnames)))
        return Name(_given_units(fold(given)), s1, s2)
    units = _natural_units(fold(text))
    if len(units) <= 1 or " Y " in units[-1]:  # "JOSE ORTEGA Y GASSET": the Y unit holds both
        s1, s2 = _split_surnames(units[-1:])
        return Name(_given_units(" ".join(units[:-1])), s1, s2)
    if len(units) == 2:
        return Name(_given_units(units[0]), units[1], "")
    if len(units) == 3 and units[1] in _GIVEN_TAILS:
        return Name(units[:2], units[2], "")
    return Name(_given_units(" ".join(units[:-2])), units[-2], units[-1])


#: The columns :func:`name_keys` returns, in order.
KEY_COLUMNS: tuple[str, ...] = (
    "given_names",  # all given units, "MARIA DE LOS ANGELES"
    "given_1",  # first given unit, "MARIA"
    "given_initials",  # initials of the given units' core words, "MA"
    "surname_1",  # folded, particles kept: "DE LA FUENTE"
    "surname_2",
    "surname_1_core",  # surname_core(): "FUENTE"
    "surname_2_core",
    "given_1_phonetic",  # phonetic() of the first given unit's core
    "surname_1_phonetic",  # phonetic() of surname_1_core
    "surname_2_phonetic",
    "surnames_sorted",  # both cores sorted, space-joined: catches swapped surnames
    "name_sorted",  # all given cores and surname cores sorted: catches swapped boxes/order
)


def name_keys(name: Name) -> dict[str, str | None]:
    """The linker columns of :data:`KEY_COLUMNS` for one name; missing parts are ``None``."""
    given_cores = [_given_core(unit) for unit in name.given]
    first = given_cores[0] if given_cores else ""
    c1 = surname_core(name.surname_1)
    c2 = surname_core(name.surname_2)
    cores = sorted(c for c in (c1, c2) if c)
    return {
        "given_names": " ".join(name.given) or None,
        "given_1": name.given[0] if name.given else None,
        "given_initials": "".join(c[0] for c in given_cores if c) or None,
        "surname_1": name.surname_1 or None,
        "surname_2": name.surname_2 or None,
        "surname_1_core": c1 or None,
        "surname_2_core": c2 or None,
        "given_1_phonetic": phonetic(first) or None,
        "surname_1_phonetic": phonetic(c1) or None,
        "surname_2_phonetic": phonetic(c2) or None,
        "surnames_sorted": " ".join(cores) or None,
        "name_sorted": " ".join(sorted(c for c in (*given_cores, *cores) if c)) or None,
    }
