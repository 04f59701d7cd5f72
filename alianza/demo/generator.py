"""Deterministic synthetic records for the demo, the tests and the benchmarks.

Nothing here is real: every person, document, vehicle, vessel, container, organisation
(apart from the public names of well-known criminal groups) and seizure is drawn from
``random.Random(seed)``, so the same seed always yields the same records.

The proportions follow the public figures in ``docs/product.md`` (section "Figures"):

- nationalities: Venezuelans abroad 7.89 million (R4V, November 2024), about 530,000-650,000
  of them in Chile and about 445,000 in Ecuador (R4V, July 2024), next to Colombians and
  Peruvians on the same corridor;
- seizures: Ecuador seized 294.6 t of drugs in 2024 (210 t in 2021, 201 t in 2022, about
  211 t in 2023); quantities are drawn from a heavy-tailed log-normal distribution (median
  about 33 kg, mean about 110 kg, capped at 9 t), so roughly 2,700 seizures add up to a
  year like 2024;
- ports: Guayaquil handles about 87% of Ecuador's cargo (about 2.1 million TEU in
  January-October 2024); Posorja, Puerto Bolívar and Manta share the rest.

Every ``data`` dict is already in the canonical form ``validate_data`` returns, and every
``rules`` dict builds a valid ``Rules``. Speed matters (the benchmarks generate a million
records), so every table is built once at import and each record costs a handful of
``random()`` calls; ``tests/demo/test_generator.py`` checks the output against the gates.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from alianza.errors import InputError
from alianza.records.rules import RecordKind

T = TypeVar("T")

__all__ = ["GeneratedRecord", "generate_records"]


@dataclass(slots=True)
class GeneratedRecord:
    """One synthetic record: its kind, its data and the rules that travel with it."""

    kind: RecordKind
    data: dict[str, Any]
    rules: dict[str, Any]


def _weighted(pairs: Sequence[tuple[T, int]]) -> tuple[T, ...]:
    # A flat table picked with one random() call: much faster than random.choices.
    return tuple(item for item, weight in pairs for _ in range(weight))


def _days(start: date, end: date) -> tuple[str, ...]:
    return tuple((start + timedelta(d)).isoformat() for d in range((end - start).days + 1))


# Kind mix per 100 records.
_KINDS = _weighted(
    [
        (RecordKind.PERSON, 55),
        (RecordKind.DOCUMENT, 10),
        (RecordKind.VEHICLE, 8),
        (RecordKind.VESSEL, 5),
        (RecordKind.CONTAINER, 12),
        (RecordKind.ORGANISATION, 5),
        (RecordKind.SEIZURE, 5),
    ]
)

# --- persons -----------------------------------------------------------------------------

_MALE = (
    "Juan",
    "José",
    "Luis",
    "Carlos",
    "Jorge",
    "Pedro",
    "Manuel",
    "Miguel",
    "Francisco",
    "Andrés",
    "Diego",
    "Matías",
    "Benjamín",
    "Cristóbal",
    "Sebastián",
    "Felipe",
    "Tomás",
    "Vicente",
    "Joaquín",
    "Ignacio",
    "Rodrigo",
    "Patricio",
    "Héctor",
    "Raúl",
    "Segundo",
    "Wilmer",
    "Jhon",
    "Jhonny",
    "Yeferson",
    "Maikel",
    "Darwin",
    "Kléber",
    "Byron",
    "Édison",
    "Washington",
    "Wilson",
    "Fausto",
    "Ángel",
    "Jesús",
    "Alexander",
    "Yordan",
    "Anderson",
    "Luis Miguel",
    "Juan Carlos",
    "José Luis",
    "Juan Pablo",
    "Miguel Ángel",
    "Hernán",
)
_FEMALE = (
    "María",
    "Ana",
    "Rosa",
    "Carmen",
    "Gabriela",
    "Daniela",
    "Valentina",
    "Catalina",
    "Javiera",
    "Constanza",
    "Francisca",
    "Camila",
    "Fernanda",
    "Isidora",
    "Josefa",
    "Paola",
    "Verónica",
    "Mónica",
    "Patricia",
    "Gloria",
    "Inés",
    "Yesenia",
    "Yuleisi",
    "Yoselin",
    "Nayeli",
    "Mayerli",
    "Dayana",
    "Génesis",
    "Nathaly",
    "Jessenia",
    "Sisa",
    "Killa",
    "Mariela",
    "Lorena",
    "Sofía",
    "Ximena",
    "Beatriz",
    "Ruth",
    "Marlene",
    "Leidy",
    "María José",
    "Ana María",
    "María Fernanda",
    "Rosa Elena",
    "María de los Ángeles",
)
_SECOND_MALE = ("Antonio", "Andrés", "Alberto", "Eduardo", "Javier", "Alfonso", "David")
_SECOND_FEMALE = ("Isabel", "Alejandra", "Belén", "Elena", "Cristina", "Paz", "Soledad")

_COMMON_SURNAMES = (
    "González",
    "Muñoz",
    "Rojas",
    "Díaz",
    "Pérez",
    "Soto",
    "Contreras",
    "Silva",
    "Martínez",
    "Morales",
    "Rodríguez",
    "López",
    "Fuentes",
    "Hernández",
    "Torres",
    "Flores",
    "Espinoza",
    "Castillo",
    "Reyes",
    "Gutiérrez",
    "Castro",
    "Álvarez",
    "Vásquez",
    "Sánchez",
    "Fernández",
    "Ramírez",
    "Gómez",
    "Herrera",
    "Núñez",
    "Rivera",
    "García",
    "Vega",
    "Ortiz",
    "Salazar",
    "Guzmán",
    "Navarro",
    "Romero",
    "Peña",
    "Chávez",
    "Mendoza",
    "Guerrero",
    "Ponce",
    "Ibáñez",
    "Cortés",
    "Zúñiga",
    "Jiménez",
    "Ruiz",
    "Medina",
    "Aguilar",
    "Vargas",
    "Ríos",
    "Montaño",
    "de la Cruz",
    "Del Castillo",
    "de la Torre",
    "San Martín",
    "de los Ríos",
    "Del Pino",
)
_LOCAL_SURNAMES: dict[str, tuple[str, ...]] = {
    "CL": (
        "Sepúlveda",
        "Valenzuela",
        "Araya",
        "Tapia",
        "Pizarro",
        "Carrasco",
        "Jara",
        "Vergara",
        "Riquelme",
        "Figueroa",
        "Saavedra",
        "Henríquez",
        "Aravena",
        "Cárcamo",
        "Quezada",
        "Órdenes",
        "Millán",
        "Huenchumilla",
        "Catrileo",
        "Ñancupil",
        "Pérez de Arce",
    ),
    "EC": (
        "Zambrano",
        "Cedeño",
        "Intriago",
        "Macías",
        "Moreira",
        "Loor",
        "Vélez",
        "Andrade",
        "Briones",
        "Villacís",
        "Yépez",
        "Toapanta",
        "Chiluisa",
        "Tene",
        "Pazmiño",
        "Alcívar",
        "Bermeo",
        "Cevallos",
        "Mera",
        "Quiñónez",
        "Espinosa de los Monteros",
    ),
    "PE": (
        "Quispe",
        "Mamani",
        "Huamán",
        "Condori",
        "Ccori",
        "Chambi",
        "Huanca",
        "Tello",
        "Paredes",
        "Salas",
        "Cárdenas",
        "Villanueva",
        "Zegarra",
        "Ñahui",
    ),
    "CO": (
        "Ospina",
        "Restrepo",
        "Arango",
        "Giraldo",
        "Cardona",
        "Londoño",
        "Valencia",
        "Osorio",
        "Mosquera",
        "Palacios",
        "Caicedo",
        "Moreno",
    ),
    "VE": (
        "Colmenares",
        "Villalobos",
        "Briceño",
        "Pacheco",
        "Mendoza",
        "Rondón",
        "Marcano",
        "Bolívar",
        "Chirinos",
        "Urdaneta",
        "Ochoa",
        "Delgado",
        "Parra",
    ),
}
_FOREIGN_SURNAMES = ("Jean-Baptiste", "Pierre", "Mamani", "Choque", "Smith", "Wang", "Lemus")

_ALIASES = (
    "El Flaco",
    "El Negro",
    "El Chino",
    "La Gata",
    "El Gordo",
    "Cara de Niño",
    "El Mono",
    "La Flaca",
    "El Paisa",
    "El Cholo",
    "El Tuerto",
    "El Zambo",
    "Fito",
    "Junior",
    "El Ruso",
)
_PERSON_NOTES = (
    "Visto por última vez en el paso Chacalluta–Santa Rosa.",
    "Cruzó por Huaquillas sin registro migratorio.",
    "Registrado en Rumichaca con documento de otra persona.",
    "Posible vínculo con cargamento incautado en Guayaquil.",
    "Familiar denunció la desaparición en Tumbes.",
    "Solicitud de información pendiente con la PDI.",
    "Antecedentes por microtráfico en Machala.",
    "Trabaja como estibador en el puerto de Posorja.",
)
_CATEGORIES = _weighted([("suspect", 45), ("watch", 30), ("wanted", 15), ("missing", 10)])

# Nationality mix of each node's records (R4V figures shape the Venezuelan share).
_NATIONALITIES: dict[str, tuple[str, ...]] = {
    "CL": _weighted(
        [("CL", 48), ("VE", 22), ("PE", 10), ("CO", 8), ("EC", 4), ("BO", 3), ("HT", 3), ("AR", 2)]
    ),
    "EC": _weighted(
        [("EC", 55), ("VE", 20), ("CO", 14), ("PE", 5), ("CL", 2), ("CU", 2), ("US", 1), ("ES", 1)]
    ),
}
_PASSPORT_PREFIX = {"CL": "F", "EC": "A", "PE": "E", "CO": "AV", "VE": "", "BO": "B", "HT": "R"}

_BIRTH_DATES = _days(date(1950, 1, 1), date(2007, 12, 31))

# --- documents, vehicles, vessels, containers ---------------------------------------------

_DOC_STATUS = _weighted([("stolen", 40), ("lost", 45), ("forged", 15)])
_DOC_COUNTRIES = _weighted([("CL", 25), ("EC", 25), ("VE", 25), ("PE", 13), ("CO", 12)])

_CL_PLATE_LETTERS = "BCDFGHJKLPRSTVWXYZ"  # Chile's 2007 format uses no vowels, M, N, Ñ, Q
_OLD_PLATE_LETTERS = "ABCDEFGHIJKLNPRSTUVWXYZ"
_EC_PROVINCES = "".join(
    _weighted(
        [
            ("P", 8),
            ("G", 8),
            ("A", 2),
            ("M", 2),
            ("O", 2),
            ("T", 1),
            ("L", 1),
            ("I", 1),
            ("R", 1),
            ("E", 1),
            ("H", 1),
            ("U", 1),
            ("J", 1),
            ("Y", 1),
        ]
    )
)
_VEHICLES = (
    ("Toyota", "Hilux"),
    ("Chevrolet", "D-Max"),
    ("Chevrolet", "Sail"),
    ("Kia", "Rio"),
    ("Kia", "Sportage"),
    ("Hyundai", "Accent"),
    ("Hyundai", "Tucson"),
    ("Suzuki", "Swift"),
    ("Nissan", "Navara"),
    ("Mitsubishi", "L200"),
    ("Great Wall", "Wingle"),
    ("Mazda", "BT-50"),
    ("Hino", "Dutro"),
    ("Volvo", "FH"),
    ("Freightliner", "Cascadia"),
    ("Chery", "Tiggo 2"),
)
_COLOURS = ("blanco", "gris", "negro", "rojo", "azul", "plateado", "verde", "beige")
_VEHICLE_STATUS = _weighted([("watch", 50), ("stolen", 30), ("wanted", 20)])

_FLAGS = _weighted([("735", 30), ("725", 15), ("351", 12), ("352", 10), ("353", 10), ("636", 23)])
_MID_FLAG = {"735": "EC", "725": "CL", "351": "PA", "352": "PA", "353": "PA", "636": "LR"}
_MERCHANT_NAMES = (
    "Cap San Lorenzo",
    "Maersk Callao",
    "MSC Ingrid",
    "Pacific Reefer",
    "Baltic Klipper",
    "Star Guayaquil",
    "Santa Rosa Express",
    "CMA CGM Andes",
    "Hansa Cuenca",
    "Río Blanco",
)
_FISHING_NAMES = (
    "Don Lucho",
    "Virgen del Cisne",
    "San Judas Tadeo",
    "Hermanos Cedeño",
    "Mi Bella Isabel",
    "Divino Niño",
    "Señor de los Milagros",
    "Doña Tere",
    "Estrella del Mar",
    "El Manabita",
)
_ROMAN = ("", "", "", " II", " III", " IV")
_MERCHANT_TYPES = ("portacontenedores", "carguero frigorífico", "granelero", "buque tanque")
_FISHING_TYPES = ("pesquero", "palangrero", "lancha de fibra", "remolcador")

_OWNER_CODES = (
    "MSCU",
    "MEDU",
    "MAEU",
    "MSKU",
    "CMAU",
    "HLXU",
    "HLBU",
    "CSQU",
    "OOLU",
    "ONEU",
    "ZIMU",
    "SEGU",
    "TGHU",
    "TCLU",
    "EGHU",
    "CAIU",
)
_CONTAINER_STATUS = _weighted([("watch", 50), ("suspect", 25), ("cleared", 20), ("seized", 5)])
# Guayaquil moves about 87% of Ecuador's cargo.
_PORTS = _weighted([("Guayaquil", 62), ("Posorja", 25), ("Puerto Bolívar", 9), ("Manta", 4)])
_PORT_CODES = {"Guayaquil": "GYE", "Posorja": "PSJ", "Puerto Bolívar": "PBO", "Manta": "MEC"}
_CARGO_NOTES = (
    "Carga declarada: banano en cajas.",
    "Carga declarada: camarón congelado.",
    "Carga declarada: cacao en grano.",
    "Carga declarada: atún en conserva.",
    "Carga declarada: flores (rosas).",
    "Sello de alta seguridad con numeración alterada.",
    "Exportador registrado hace menos de 6 meses.",
    "Ruta de trasbordo por Manzanillo.",
)

# --- organisations and seizures -----------------------------------------------------------

_GANGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Los Choneros", "EC", ("Choneros",)),
    ("Los Lobos", "EC", ("Lobos",)),
    ("Los Tiguerones", "EC", ("Tiguerones",)),
    ("Chone Killers", "EC", ("Los Chone Killers",)),
    ("Los Lagartos", "EC", ()),
    ("Tren de Aragua", "VE", ("TdA",)),
    ("Los Gallegos", "CL", ("facción del Tren de Aragua",)),
    ("Clan del Golfo", "CO", ("AGC", "Autodefensas Gaitanistas de Colombia")),
)
_CELLS = (
    "",
    "",
    "",
    " (célula Durán)",
    " (célula Machala)",
    " (célula Esmeraldas)",
    " (célula Arica)",
    " (célula Santiago)",
    " (célula Manta)",
)
_SHELL_PREFIX = (
    "Exportadora",
    "Comercializadora",
    "Inversiones",
    "Agrícola",
    "Logística",
    "Importadora",
    "Transportes",
    "Naviera",
    "Servicios Portuarios",
)
_SHELL_CORE = (
    "del Pacífico",
    "Andina",
    "Bananera El Oro",
    "Costa Azul",
    "Santa Rita",
    "Los Ríos",
    "Mar de Plata",
    "Nuevo Horizonte",
    "Tres Hermanos",
    "Austral",
)
_SHELL_SUFFIX = {"EC": ("S.A.", "Cía. Ltda."), "CL": ("SpA", "Ltda.", "S.A.")}
_ORG_NOTES = (
    "Empresa de fachada usada para contaminar exportaciones.",
    "Controla la extorsión en el sector portuario.",
    "Domicilio tributario en una vivienda sin actividad.",
    "Socios con antecedentes por lavado de activos.",
)

_SEIZURE_DATES = _days(date(2024, 1, 1), date(2024, 12, 31))
_SUBSTANCES = _weighted([("cocaína", 85), ("marihuana", 11), ("ketamina", 4)])
_SEIZURE_NOTES = (
    "Droga oculta en cajas de banano (gancho ciego).",
    "Paquetes adheridos al casco por buzos.",
    "Hallazgo en el sistema de refrigeración del contenedor.",
    "Operación conjunta con la Unidad de Control de Contenedores.",
)

# --- rules -----------------------------------------------------------------------------

_HANDLING = _weighted([("H0", 40), ("H1", 30), ("H2", 22), ("H3", 8)])
_H3_NOTES = (
    "No compartir con terceros países sin autorización escrita de la Fiscalía.",
    "Uso exclusivo en la investigación indicada; no usar en juicio sin permiso del dueño.",
    "Solo para la unidad antinarcóticos; consultar antes de cualquier diligencia.",
    "Fuente humana en riesgo: no divulgar detalles que permitan identificarla.",
)
_SOURCE_GRADES = _weighted([("A", 20), ("B", 45), ("C", 20), ("X", 15)])
_INFO_GRADES = _weighted([("1", 15), ("2", 35), ("3", 35), ("4", 15)])
_SCOPES = _weighted([("agency", 25), ("country", 30), ("partners", 35), ("members", 10)])
_PURPOSES: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.PERSON: (
        "Investigación de tráfico de cocaína por puerto de Guayaquil",
        "Búsqueda de persona desaparecida en el corredor Tacna–Arica",
        "Control migratorio en el paso Chacalluta–Santa Rosa",
        "Investigación de trata de personas en la frontera Huaquillas–Aguas Verdes",
        "Orden de detención vigente por homicidio",
    ),
    RecordKind.DOCUMENT: (
        "Alerta de documento extraviado o robado en pasos fronterizos",
        "Investigación de falsificación de pasaportes",
    ),
    RecordKind.VEHICLE: (
        "Recuperación de vehículos robados cruzados a Perú y Ecuador",
        "Investigación de contrabando terrestre por Rumichaca",
    ),
    RecordKind.VESSEL: (
        "Interdicción marítima de embarcaciones con droga en el Pacífico",
        "Investigación de tráfico de cocaína por puerto de Guayaquil",
    ),
    RecordKind.CONTAINER: (
        "Selección de contenedores de exportación para inspección",
        "Investigación de contaminación de carga bananera",
    ),
    RecordKind.ORGANISATION: (
        "Análisis de crimen organizado transnacional",
        "Investigación de lavado de activos por empresas de fachada",
    ),
    RecordKind.SEIZURE: (
        "Registro de incautaciones para el informe anual a UNODC",
        "Investigación de tráfico de cocaína por puerto de Guayaquil",
    ),
}
_LEGAL_BASES = {
    "CL": (
        "Ley 21.719, art. 16 (tratamiento por autoridades públicas)",
        "Ley 21.719, art. 27 (transferencia internacional)",
        "Ley 20.000 (drogas)",
        "Código Procesal Penal, art. 180",
    ),
    "EC": (
        "LOPDP art. 7 (legitimidad del tratamiento)",
        "LOPDP art. 56 (transferencia internacional)",
        "COIP art. 220 (tráfico ilícito de sustancias)",
        "COIP art. 369 (delincuencia organizada)",
    ),
}
_PARTNERS = {
    "CL": (("EC",), ("PE",), ("EC", "PE"), ("BO", "PE"), ("CO", "EC", "PE")),
    "EC": (("CL",), ("CO",), ("CL", "PE"), ("CO", "PE"), ("CL", "CO", "PE")),
}
_REVIEW_DATES = _days(date(2025, 6, 1), date(2027, 12, 31))
_RULE_POOL = 256  # rule combinations per kind and run


def _digit_sums(weights: tuple[int, ...], *, fold: bool = False) -> tuple[int, ...]:
    """Weighted digit sum of every number of ``len(weights)`` digits, leading zeros included.

    Check digits are computed from these tables, two or three look-ups per number, because
    calling python-stdnum for each of a million records would halve the generator's speed.
    The sums are the ones stdnum computes; the tests check every generated identifier with
    stdnum's validators.
    """
    if not weights:
        return (0,)
    rest = _digit_sums(weights[1:], fold=fold)
    head = [weights[0] * digit for digit in range(10)]
    if fold:
        head = [value - 9 if value > 9 else value for value in head]
    return tuple(value + tail for value in head for tail in rest)


# Chile RUN/RUT (as stdnum.cl.rut): digits from the right weigh 9, 8, 7, 6, 5, 4, 9, 8.
_RUT_HIGH = _digit_sums((8, 9, 4, 5))
_RUT_LOW = _digit_sums((6, 7, 8, 9))
# Ecuador cédula (as stdnum.ec.ci): weights 2, 1, 2, ... with products above 9 less 9.
_CI_212 = _digit_sums((2, 1, 2), fold=True)
_CI_121 = _digit_sums((1, 2, 1), fold=True)
# IMO (as stdnum.imo): the first six digits weigh 7 to 2.
_IMO_HIGH = _digit_sums((7, 6, 5))
_IMO_LOW = _digit_sums((4, 3, 2))
# ISO 6346 (as stdnum.iso6346): character i weighs 2**i; letters use the code's alphabet.
_ISO_ALPHABET = "0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"
_ISO_OWNER = {
    code: sum(_ISO_ALPHABET.index(ch) * 2**i for i, ch in enumerate(code)) for code in _OWNER_CODES
}
_ISO_HIGH = _digit_sums((16, 32, 64))
_ISO_LOW = _digit_sums((128, 256, 512))


def _rut(body: int) -> str:
    """A RUN/RUT in canonical form, ``12345678-5``."""
    high, low = divmod(body, 10_000)
    return f"{body}-{'0123456789K'[(_RUT_HIGH[high] + _RUT_LOW[low]) % 11]}"


def _ec_cedula(province: int, third: int, serial: int) -> str:
    """A 10-digit Ecuadorian cédula: province 01-24, third digit below 6, check digit."""
    high, low = divmod(serial, 1000)
    total = _CI_212[province * 10 + third] + _CI_121[high] + _CI_212[low]
    return f"{province:02d}{third}{serial:06d}{(10 - total % 10) % 10}"


def _imo(first6: int) -> str:
    """A 7-digit IMO number from its first six digits."""
    high, low = divmod(first6, 1000)
    return f"{first6:06d}{(_IMO_HIGH[high] + _IMO_LOW[low]) % 10}"


def _container(owner: str, serial: int) -> str:
    """An 11-character ISO 6346 container number from owner code and 6-digit serial."""
    high, low = divmod(serial, 1000)
    check = (_ISO_OWNER[owner] + _ISO_HIGH[high] + _ISO_LOW[low]) % 11 % 10
    return f"{owner}{serial:06d}{check}"


class _Generator:
    """Builds records of each kind from one seeded random stream."""

    def __init__(self, *, seed: int, country: str) -> None:
        self.rng = random.Random(seed)
        self.r = self.rng.random
        self.country = country
        self.nationalities = _NATIONALITIES[country]
        self.legal_bases = _LEGAL_BASES[country]
        self.partners = _PARTNERS[country]
        self.shell_suffix = _SHELL_SUFFIX[country]
        # Recent persons, kept to make siblings (same two surnames) and namesakes.
        self.recent: list[tuple[str, str, str, str, int, str]] = []
        self.seizure_seq = dict.fromkeys(_PORT_CODES.values(), 0)

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.r() * len(items))]

    def digits(self, low: int, high: int) -> int:
        return low + int(self.r() * (high - low))

    # --- persons ---------------------------------------------------------------------

    def surname(self, nationality: str) -> str:
        local = _LOCAL_SURNAMES.get(nationality, _FOREIGN_SURNAMES)
        return self.pick(local if self.r() < 0.4 else _COMMON_SURNAMES)

    def given_names(self, sex: str) -> str:
        male = sex == "M"
        first = self.pick(_MALE if male else _FEMALE)
        if " " not in first and self.r() < 0.45:
            return f"{first} {self.pick(_SECOND_MALE if male else _SECOND_FEMALE)}"
        return first

    def national_document(self, nationality: str, year: int) -> dict[str, Any] | None:
        r = self.r
        if nationality == "CL":
            # RUNs are issued in sequence, so older people hold lower numbers.
            body = 4_000_000 + (year - 1950) * 330_000 + int(r() * 600_000)
            return {"type": "RUT_CL", "number": _rut(body), "country": "CL"}
        if nationality == "EC":
            number = _ec_cedula(1 + int(r() * 24), int(r() * 6), int(r() * 1_000_000))
            return {"type": "CI_EC", "number": number, "country": "EC"}
        if nationality == "PE":
            return {"type": "DNI_PE", "number": f"{int(r() * 80_000_000):08d}", "country": "PE"}
        if nationality == "CO":
            number = (
                self.digits(10_000_000, 99_999_999)
                if year < 1990
                else self.digits(1_000_000_000, 1_150_000_000)
            )
            return {"type": "CC_CO", "number": str(number), "country": "CO"}
        if nationality == "VE":
            number = (
                self.digits(3_000_000, 9_999_999)
                if year < 1985
                else self.digits(10_000_000, 32_000_000)
            )
            return {"type": "CI_VE", "number": f"V{number}", "country": "VE"}
        return None

    def passport(self, nationality: str) -> dict[str, Any]:
        prefix = _PASSPORT_PREFIX.get(nationality, "P")
        width = 9 - len(prefix) if prefix else 9
        number = int(self.r() * 10**width)
        return {"type": "PASSPORT", "number": f"{prefix}{number:0{width}d}", "country": nationality}

    def person(self) -> dict[str, Any]:
        r = self.r
        roll = r()
        recent = self.recent
        if roll < 0.03 and recent:
            # Sibling: both surnames shared, own given names, born within about 12 years.
            _, s1, s2, nat, birth, _ = self.pick(recent)
            sex = "M" if r() < 0.5 else "F"
            given = self.given_names(sex)
            birth = min(max(birth + int((r() - 0.5) * 8_800), 0), len(_BIRTH_DATES) - 1)
        elif roll < 0.05 and recent:
            # Namesake: same full name and nationality, another person born another day.
            given, s1, s2, nat, _, sex = self.pick(recent)
            birth = int(r() * len(_BIRTH_DATES))
        else:
            nat = self.pick(self.nationalities)
            sex = "M" if r() < 0.55 else "F"
            given = self.given_names(sex)
            s1 = self.surname(nat)
            s2 = self.surname(nat)
            birth = int(r() * len(_BIRTH_DATES))
            if len(recent) < 512:
                recent.append((given, s1, s2, nat, birth, sex))
            else:
                recent[int(r() * 512)] = (given, s1, s2, nat, birth, sex)
        birth_date = _BIRTH_DATES[birth]
        documents: list[dict[str, Any]] = []
        national = self.national_document(nat, int(birth_date[:4]))
        if national is not None:
            documents.append(national)
        if self.country == "CL" and nat in ("VE", "PE", "CO", "HT", "BO") and r() < 0.4:
            # Foreign residents in Chile get a RUN in the 25-27 million range.
            body = self.digits(25_000_000, 28_000_000)
            documents.append({"type": "RUT_CL", "number": _rut(body), "country": "CL"})
        if national is None or r() < (0.4 if nat == "VE" else 0.15):
            documents.append(self.passport(nat))
        data: dict[str, Any] = {
            "category": self.pick(_CATEGORIES),
            "given_names": given,
            "surname_1": s1,
            "surname_2": s2,
            "birth_date": birth_date,
            "sex": sex,
            "nationality": nat,
            "documents": documents,
            "aliases": [self.pick(_ALIASES)] if r() < 0.08 else [],
        }
        if r() < 0.15:
            data["notes"] = self.pick(_PERSON_NOTES)
        return data

    # --- other kinds -----------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        issuing = self.pick(_DOC_COUNTRIES)
        year = int(self.pick(_BIRTH_DATES)[:4])
        doc = self.passport(issuing) if self.r() < 0.35 else self.national_document(issuing, year)
        assert doc is not None  # _DOC_COUNTRIES only lists countries with a national ID
        data: dict[str, Any] = {
            "status": self.pick(_DOC_STATUS),
            "document_type": doc["type"],
            "number": doc["number"],
            "issuing_country": issuing,
        }
        if self.r() < 0.7:
            sex = "M" if self.r() < 0.5 else "F"
            data["holder_name"] = (
                f"{self.given_names(sex)} {self.surname(issuing)} {self.surname(issuing)}"
            )
        return data

    def vehicle(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        home = r() < 0.8
        if (self.country == "CL") == home:
            letters = _CL_PLATE_LETTERS if r() < 0.7 else _OLD_PLATE_LETTERS
            if letters is _CL_PLATE_LETTERS:
                plate = "".join([pick(letters) for _ in range(4)]) + f"{int(r() * 100):02d}"
            else:
                plate = pick(letters) + pick(letters) + f"{1000 + int(r() * 9000)}"
            plate_country = "CL"
        else:
            plate = (
                pick(_EC_PROVINCES)
                + pick(_OLD_PLATE_LETTERS)
                + pick(_OLD_PLATE_LETTERS)
                + f"{int(r() * 10_000):04d}"
            )
            plate_country = "EC"
        make, model = pick(_VEHICLES)
        return {
            "plate": plate,
            "country": plate_country,
            "make": make,
            "model": model,
            "colour": pick(_COLOURS),
            "status": pick(_VEHICLE_STATUS),
        }

    def vessel(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        mid = pick(_FLAGS)
        fishing = mid in ("735", "725") and r() < 0.5
        names = _FISHING_NAMES if fishing else _MERCHANT_NAMES
        data: dict[str, Any] = {"name": pick(names) + pick(_ROMAN)}
        if not fishing or r() < 0.7:
            data["imo"] = _imo(700_000 + int(r() * 300_000))
        data["mmsi"] = f"{mid}{int(r() * 1_000_000):06d}"
        data["flag"] = _MID_FLAG[mid]
        data["vessel_type"] = pick(_FISHING_TYPES if fishing else _MERCHANT_TYPES)
        return data

    def container_number(self) -> str:
        return _container(self.pick(_OWNER_CODES), int(self.r() * 1_000_000))

    def container(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "number": self.container_number(),
            "status": self.pick(_CONTAINER_STATUS),
            "last_port": self.pick(_PORTS),
        }
        if self.r() < 0.3:
            data["notes"] = self.pick(_CARGO_NOTES)
        return data

    def organisation(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        if r() < 0.4:
            name, country, aliases = pick(_GANGS)
            data: dict[str, Any] = {
                "name": name + pick(_CELLS),
                "country": country,
                "org_type": "organización criminal",
                "aliases": list(aliases),
            }
        else:
            name = f"{pick(_SHELL_PREFIX)} {pick(_SHELL_CORE)} {pick(self.shell_suffix)}"
            data = {
                "name": name,
                "country": self.country,
                "org_type": "empresa de fachada",
                "aliases": [],
            }
        if r() < 0.25:
            data["notes"] = pick(_ORG_NOTES)
        return data

    def seizure(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        port = pick(_PORTS)
        code = _PORT_CODES[port]
        self.seizure_seq[code] += 1
        substance = pick(_SUBSTANCES)
        # Log-normal: many small seizures, a few of several tonnes (see module docstring).
        kg = min(self.rng.lognormvariate(3.5 if substance != "ketamina" else 1.0, 1.6), 9_000.0)
        data: dict[str, Any] = {
            "reference": f"EC-{code}-2024-{self.seizure_seq[code]:06d}",
            "date": pick(_SEIZURE_DATES),
            "country": "EC",
            "place": f"Puerto de {port}",
            "substance": substance,
            "quantity_kg": round(kg, 1),
        }
        if r() < 0.6:
            data["container"] = self.container_number()
        if r() < 0.3:
            data["vessel_imo"] = _imo(900_000 + int(r() * 100_000))
        if r() < 0.3:
            data["notes"] = pick(_SEIZURE_NOTES)
        return data

    # --- rules -----------------------------------------------------------------------

    def rule_template(self, kind: RecordKind) -> dict[str, Any]:
        pick = self.pick
        code = pick(_HANDLING)
        scope = pick(_SCOPES)
        rules: dict[str, Any] = {
            "handling_code": code,
            "source_grade": pick(_SOURCE_GRADES),
            "info_grade": pick(_INFO_GRADES),
            "purpose": pick(_PURPOSES[kind]),
            "legal_basis": pick(self.legal_bases),
            "scope": scope,
        }
        if code == "H3":
            rules["handling_note"] = pick(_H3_NOTES)
        if scope == "partners":
            rules["scope_countries"] = pick(self.partners)
        return rules

    def rules(self, pool: Sequence[dict[str, Any]]) -> dict[str, Any]:
        # Drawn from a per-run pool of combinations (drawing each field anew per record
        # cost a quarter of the run); the copy keeps records independent of each other.
        rules = dict(self.pick(pool))
        countries = rules.get("scope_countries")
        if countries is not None:
            rules["scope_countries"] = list(countries)
        if self.r() < 0.7:
            rules["review_date"] = self.pick(_REVIEW_DATES)
        return rules


def generate_records(*, n: int, seed: int = 0, country: str = "CL") -> Iterator[GeneratedRecord]:
    """Yield ``n`` synthetic records for a node of ``country`` (CL or EC), same seed same data."""
    if n < 0:
        raise InputError.at("n", f"el número de registros debe ser positivo, no {n}")
    code = country.strip().upper()
    if code not in _NATIONALITIES:
        raise InputError.at("country", f"país sin datos de demostración '{country}'; use CL o EC")
    gen = _Generator(seed=seed, country=code)
    builders: dict[RecordKind, Callable[[], dict[str, Any]]] = {
        RecordKind.PERSON: gen.person,
        RecordKind.DOCUMENT: gen.document,
        RecordKind.VEHICLE: gen.vehicle,
        RecordKind.VESSEL: gen.vessel,
        RecordKind.CONTAINER: gen.container,
        RecordKind.ORGANISATION: gen.organisation,
        RecordKind.SEIZURE: gen.seizure,
    }
    pools = {kind: tuple(gen.rule_template(kind) for _ in range(_RULE_POOL)) for kind in builders}
    table = tuple((kind, builders[kind], pools[kind]) for kind in _KINDS)
    r, rules, size = gen.r, gen.rules, len(table)
    for _ in range(n):
        kind, build, pool = table[int(r() * size)]
        yield GeneratedRecord(kind=kind, data=build(), rules=rules(pool))
