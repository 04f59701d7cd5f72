"""Word lists and weighted tables the demo generator draws from (see generator.py).

Weights are relative integers, mostly per 100; ``weighted`` flattens them into a tuple that one
``random()`` call indexes. Names, places and legal texts are in Spanish, as the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

from alianza.records.rules import RecordKind

T = TypeVar("T")


def weighted(pairs: Sequence[tuple[T, int]]) -> tuple[T, ...]:
    # A flat table picked with one random() call: much faster than random.choices.
    return tuple(item for item, weight in pairs for _ in range(weight))


def days(start: date, end: date) -> tuple[str, ...]:
    return tuple((start + timedelta(d)).isoformat() for d in range((end - start).days + 1))


def words(text: str) -> tuple[str, ...]:
    # Word lists are one comma-separated text each, which keeps this module short.
    return tuple(text.split(", "))


# Kind mix per 100 records.
KINDS = weighted(
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

MALE = words(
    "Juan, José, Luis, Carlos, Jorge, Pedro, Manuel, Miguel, Francisco, Andrés, Diego, Matías, "
    "Benjamín, Cristóbal, Sebastián, Felipe, Tomás, Vicente, Joaquín, Ignacio, Rodrigo, Patricio, "
    "Héctor, Raúl, Segundo, Wilmer, Jhon, Jhonny, Yeferson, Maikel, Darwin, Kléber, Byron, Édison, "
    "Washington, Wilson, Fausto, Ángel, Jesús, Alexander, Yordan, Anderson, Luis Miguel, "
    "Juan Carlos, José Luis, Juan Pablo, Miguel Ángel, Hernán"
)
FEMALE = words(
    "María, Ana, Rosa, Carmen, Gabriela, Daniela, Valentina, Catalina, Javiera, Constanza, "
    "Francisca, Camila, Fernanda, Isidora, Josefa, Paola, Verónica, Mónica, Patricia, Gloria, "
    "Inés, Yesenia, Yuleisi, Yoselin, Nayeli, Mayerli, Dayana, Génesis, Nathaly, Jessenia, Sisa, "
    "Killa, Mariela, Lorena, Sofía, Ximena, Beatriz, Ruth, Marlene, Leidy, María José, Ana María, "
    "María Fernanda, Rosa Elena, María de los Ángeles"
)
SECOND_MALE = words("Antonio, Andrés, Alberto, Eduardo, Javier, Alfonso, David")
SECOND_FEMALE = words("Isabel, Alejandra, Belén, Elena, Cristina, Paz, Soledad")

COMMON_SURNAMES = words(
    "González, Muñoz, Rojas, Díaz, Pérez, Soto, Contreras, Silva, Martínez, Morales, Rodríguez, "
    "López, Fuentes, Hernández, Torres, Flores, Espinoza, Castillo, Reyes, Gutiérrez, Castro, "
    "Álvarez, Vásquez, Sánchez, Fernández, Ramírez, Gómez, Herrera, Núñez, Rivera, García, Vega, "
    "Ortiz, Salazar, Guzmán, Navarro, Romero, Peña, Chávez, Mendoza, Guerrero, Ponce, Ibáñez, "
    "Cortés, Zúñiga, Jiménez, Ruiz, Medina, Aguilar, Vargas, Ríos, Montaño, de la Cruz, "
    "Del Castillo, de la Torre, San Martín, de los Ríos, Del Pino"
)
LOCAL_SURNAMES: dict[str, tuple[str, ...]] = {
    "CL": words(
        "Sepúlveda, Valenzuela, Araya, Tapia, Pizarro, Carrasco, Jara, Vergara, Riquelme, "
        "Figueroa, Saavedra, Henríquez, Aravena, Cárcamo, Quezada, Órdenes, Millán, Huenchumilla, "
        "Catrileo, Ñancupil, Pérez de Arce"
    ),
    "EC": words(
        "Zambrano, Cedeño, Intriago, Macías, Moreira, Loor, Vélez, Andrade, Briones, Villacís, "
        "Yépez, Toapanta, Chiluisa, Tene, Pazmiño, Alcívar, Bermeo, Cevallos, Mera, Quiñónez, "
        "Espinosa de los Monteros"
    ),
    "PE": words(
        "Quispe, Mamani, Huamán, Condori, Ccori, Chambi, Huanca, Tello, Paredes, Salas, Cárdenas, "
        "Villanueva, Zegarra, Ñahui"
    ),
    "CO": words(
        "Ospina, Restrepo, Arango, Giraldo, Cardona, Londoño, Valencia, Osorio, Mosquera, "
        "Palacios, Caicedo, Moreno"
    ),
    "VE": words(
        "Colmenares, Villalobos, Briceño, Pacheco, Mendoza, Rondón, Marcano, Bolívar, Chirinos, "
        "Urdaneta, Ochoa, Delgado, Parra"
    ),
}
FOREIGN_SURNAMES = words("Jean-Baptiste, Pierre, Mamani, Choque, Smith, Wang, Lemus")

ALIASES = words(
    "El Flaco, El Negro, El Chino, La Gata, El Gordo, Cara de Niño, El Mono, La Flaca, El Paisa, "
    "El Cholo, El Tuerto, El Zambo, Fito, Junior, El Ruso"
)
PERSON_NOTES = (
    "Visto por última vez en el paso Chacalluta–Santa Rosa.",
    "Cruzó por Huaquillas sin registro migratorio.",
    "Registrado en Rumichaca con documento de otra persona.",
    "Posible vínculo con cargamento incautado en Guayaquil.",
    "Familiar denunció la desaparición en Tumbes.",
    "Solicitud de información pendiente con la PDI.",
    "Antecedentes por microtráfico en Machala.",
    "Trabaja como estibador en el puerto de Posorja.",
)
CATEGORIES = weighted([("suspect", 45), ("watch", 30), ("wanted", 15), ("missing", 10)])

# Nationality mix of each node's records (R4V figures shape the Venezuelan share).
NATIONALITIES: dict[str, tuple[str, ...]] = {
    "CL": weighted(
        [("CL", 48), ("VE", 22), ("PE", 10), ("CO", 8), ("EC", 4), ("BO", 3), ("HT", 3), ("AR", 2)]
    ),
    "EC": weighted(
        [("EC", 55), ("VE", 20), ("CO", 14), ("PE", 5), ("CL", 2), ("CU", 2), ("US", 1), ("ES", 1)]
    ),
}
PASSPORT_PREFIX = {"CL": "F", "EC": "A", "PE": "E", "CO": "AV", "VE": "", "BO": "B", "HT": "R"}

BIRTH_DATES = days(date(1950, 1, 1), date(2007, 12, 31))

# --- documents, vehicles, vessels, containers ---------------------------------------------

DOC_STATUS = weighted([("stolen", 40), ("lost", 45), ("forged", 15)])
DOC_COUNTRIES = weighted([("CL", 25), ("EC", 25), ("VE", 25), ("PE", 13), ("CO", 12)])

CL_PLATE_LETTERS = "BCDFGHJKLPRSTVWXYZ"  # Chile's 2007 format uses no vowels, M, N, Ñ, Q
OLD_PLATE_LETTERS = "ABCDEFGHIJKLNPRSTUVWXYZ"
EC_PROVINCES = "".join(
    weighted(
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
VEHICLES = (
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
COLOURS = words("blanco, gris, negro, rojo, azul, plateado, verde, beige")
VEHICLE_STATUS = weighted([("watch", 50), ("stolen", 30), ("wanted", 20)])

FLAGS = weighted([("735", 30), ("725", 15), ("351", 12), ("352", 10), ("353", 10), ("636", 23)])
MID_FLAG = {"735": "EC", "725": "CL", "351": "PA", "352": "PA", "353": "PA", "636": "LR"}
MERCHANT_NAMES = words(
    "Cap San Lorenzo, Maersk Callao, MSC Ingrid, Pacific Reefer, Baltic Klipper, Star Guayaquil, "
    "Santa Rosa Express, CMA CGM Andes, Hansa Cuenca, Río Blanco"
)
FISHING_NAMES = words(
    "Don Lucho, Virgen del Cisne, San Judas Tadeo, Hermanos Cedeño, Mi Bella Isabel, Divino Niño, "
    "Señor de los Milagros, Doña Tere, Estrella del Mar, El Manabita"
)
ROMAN = ("", "", "", " II", " III", " IV")
MERCHANT_TYPES = ("portacontenedores", "carguero frigorífico", "granelero", "buque tanque")
FISHING_TYPES = ("pesquero", "palangrero", "lancha de fibra", "remolcador")

OWNER_CODES = words(
    "MSCU, MEDU, MAEU, MSKU, CMAU, HLXU, HLBU, CSQU, OOLU, ONEU, ZIMU, SEGU, TGHU, TCLU, EGHU, CAIU"
)
CONTAINER_STATUS = weighted([("watch", 50), ("suspect", 25), ("cleared", 20), ("seized", 5)])
# Guayaquil moves about 87% of Ecuador's cargo.
PORTS = weighted([("Guayaquil", 62), ("Posorja", 25), ("Puerto Bolívar", 9), ("Manta", 4)])
PORT_CODES = {"Guayaquil": "GYE", "Posorja": "PSJ", "Puerto Bolívar": "PBO", "Manta": "MEC"}
CARGO_NOTES = (
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

GANGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Los Choneros", "EC", ("Choneros",)),
    ("Los Lobos", "EC", ("Lobos",)),
    ("Los Tiguerones", "EC", ("Tiguerones",)),
    ("Chone Killers", "EC", ("Los Chone Killers",)),
    ("Los Lagartos", "EC", ()),
    ("Tren de Aragua", "VE", ("TdA",)),
    ("Los Gallegos", "CL", ("facción del Tren de Aragua",)),
    ("Clan del Golfo", "CO", ("AGC", "Autodefensas Gaitanistas de Colombia")),
)
CELLS = (
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
SHELL_PREFIX = words(
    "Exportadora, Comercializadora, Inversiones, Agrícola, Logística, Importadora, Transportes, "
    "Naviera, Servicios Portuarios"
)
SHELL_CORE = words(
    "del Pacífico, Andina, Bananera El Oro, Costa Azul, Santa Rita, Los Ríos, Mar de Plata, "
    "Nuevo Horizonte, Tres Hermanos, Austral"
)
SHELL_SUFFIX = {"EC": ("S.A.", "Cía. Ltda."), "CL": ("SpA", "Ltda.", "S.A.")}
ORG_NOTES = (
    "Empresa de fachada usada para contaminar exportaciones.",
    "Controla la extorsión en el sector portuario.",
    "Domicilio tributario en una vivienda sin actividad.",
    "Socios con antecedentes por lavado de activos.",
)

SEIZURE_DATES = days(date(2024, 1, 1), date(2024, 12, 31))
SUBSTANCES = weighted([("cocaína", 85), ("marihuana", 11), ("ketamina", 4)])
SEIZURE_NOTES = (
    "Droga oculta en cajas de banano (gancho ciego).",
    "Paquetes adheridos al casco por buzos.",
    "Hallazgo en el sistema de refrigeración del contenedor.",
    "Operación conjunta con la Unidad de Control de Contenedores.",
)

# --- rules -----------------------------------------------------------------------------

HANDLING = weighted([("H0", 40), ("H1", 30), ("H2", 22), ("H3", 8)])
H3_NOTES = (
    "No compartir con terceros países sin autorización escrita de la Fiscalía.",
    "Uso exclusivo en la investigación indicada; no usar en juicio sin permiso del dueño.",
    "Solo para la unidad antinarcóticos; consultar antes de cualquier diligencia.",
    "Fuente humana en riesgo: no divulgar detalles que permitan identificarla.",
)
SOURCE_GRADES = weighted([("A", 20), ("B", 45), ("C", 20), ("X", 15)])
INFO_GRADES = weighted([("1", 15), ("2", 35), ("3", 35), ("4", 15)])
SCOPES = weighted([("agency", 25), ("country", 30), ("partners", 35), ("members", 10)])
PURPOSES: dict[RecordKind, tuple[str, ...]] = {
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
LEGAL_BASES = {
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
PARTNERS = {
    "CL": (("EC",), ("PE",), ("EC", "PE"), ("BO", "PE"), ("CO", "EC", "PE")),
    "EC": (("CL",), ("CO",), ("CL", "PE"), ("CO", "PE"), ("CL", "CO", "PE")),
}
# In the future: a local write refuses a review date already past.
REVIEW_DATES = days(date(2028, 1, 1), date(2031, 12, 31))
RULE_POOL = 256  # rule combinations per kind and run
