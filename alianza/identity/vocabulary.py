"""Names of the region for ``alianza.identity.synthetic``, in Spanish spelling (accents, ñ).

Each list is one comma-separated text, roughly in order of frequency; ``ranked`` turns a
country's order into Zipf-like weights. Surnames: 360+ (pan-regional ones, then each
country's own, including particles such as "de la Cruz" and ñ as in "Muñoz"). First names
carry each country's flavour (Javiera in Chile, Yeferson in Venezuela, Sisa in Ecuador).
The flat draw tables are built once at import; ``typo_variants`` lists the one-slip
misspellings (b/v, s/z/c, ll/y, silent h, g/j) a clerk makes of a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

COUNTRIES = ("CL", "EC", "PE", "CO", "VE", "AR")


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split(", "))


def ranked(*groups: Iterable[str]) -> tuple[str, ...]:
    # Concatenate in order of preference, keeping each name's first (best) rank.
    return tuple(dict.fromkeys(name for group in groups for name in group))


def zipf_table(names: Sequence[str], index: dict[str, int], *, slots: int = 20_000) -> list[int]:
    """A flat table of indices (into ``index``) where rank r has weight 1/(r + 5).

    The offset keeps the head realistic (the first name near 4%, not 16%). One
    ``random()`` indexes the table: much faster than ``random.choices``.
    """
    weights = [1.0 / (rank + 5) for rank in range(len(names))]
    scale = slots / sum(weights)
    return [
        index[name]
        for name, w in zip(names, weights, strict=True)
        for _ in range(max(1, round(w * scale)))
    ]


VOWELS = frozenset("aeiouáéíóúü")
FRONT = frozenset("eiéí")  # c, g, z, s sound alike before these
PARTICLES = frozenset({"de", "del", "la", "las", "los", "San", "Santa"})

COMMON_SURNAMES = words(
    "González, Rodríguez, Pérez, Sánchez, García, Martínez, López, Díaz, Hernández, Ramírez, "
    "Torres, Flores, Gómez, Rojas, Muñoz, Fernández, Morales, Vargas, Castillo, Jiménez, Ruiz, "
    "Romero, Álvarez, Reyes, Gutiérrez, Mendoza, Castro, Vásquez, Silva, Chávez, Ramos, Herrera, "
    "Medina, Vera, Aguilar, Ortiz, Moreno, Cruz, Guzmán, Salazar, Suárez, Rivera, Núñez, Delgado, "
    "de la Cruz, Peña, Ríos, Contreras, Espinoza, Navarro, Sosa, Guerrero, Vega, Cárdenas, "
    "Acosta, Molina, Cabrera, Campos, Paredes, Miranda, Figueroa, Fuentes, Cortés, del Río, "
    "León, Ponce, Carrasco, Benítez, Valencia, Luna, Márquez, Cordero, Rivas, Parra, Soto, "
    "de los Santos, Córdova, Salas, Ibáñez, Zúñiga, Montes, San Martín, Cañas, Yáñez, Acuña, "
    "Ávila, Vázquez, de la Torre, Domínguez, Maldonado, Lara, Mejía, Velásquez, Quintana, "
    "del Castillo, Rosales, Escobar, Villegas, Sandoval, Cuevas, Gallardo, Alvarado, Montoya, "
    "Aguirre, de la Fuente, Serrano, Santana, Valdés, Arias, Pineda, Bustamante, Lozano, "
    "Carrillo, Mora, Santos, Vidal, del Valle, Ortega, Ramos, Robles, Velasco, Cabello, Bravo, "
    "de León, Cáceres, Peralta, Zamora, Toro, Calderón, Meza, Trujillo, Palacios, Solís, "
    "Santa Cruz, Saldaña, Avendaño, Castañeda, Ordóñez, Peñaloza, Carreño, de la Rosa, "
    "Hidalgo, Jaramillo, Orozco, Villalba, Arroyo, Fajardo, Correa, Salinas, Bermúdez, "
    "del Pino, de Jesús, Esquivel, Iglesias, Blanco, Gil, Pacheco, Villanueva, Cisneros, "
    "Benavides, Tello, Barrios, Segura, Hurtado, Herrero, Quiroz, Valdivia, Arévalo"
)
LOCAL_SURNAMES: dict[str, tuple[str, ...]] = {
    "CL": words(
        "González, Muñoz, Rojas, Díaz, Pérez, Soto, Contreras, Silva, Martínez, Sepúlveda, "
        "Morales, Rodríguez, López, Araya, Fuentes, Hernández, Torres, Espinoza, Flores, "
        "Castillo, Valenzuela, Ramírez, Reyes, Gutiérrez, Castro, Vargas, Álvarez, Vásquez, "
        "Tapia, Fernández, Pizarro, Jara, Vergara, Riquelme, Saavedra, Henríquez, Aravena, "
        "Cárcamo, Quezada, Órdenes, Millán, Huenchumilla, Catrileo, Ñancupil, Painemal, "
        "Caniulef, Lagos, Alarcón, Olivares, Poblete, Orellana, Toledo, Bustos, Mardones, "
        "Cifuentes, Santibáñez, Villarroel, Leiva, Pino, Inostroza, Manríquez, Cisternas, "
        "Aguilera, Carvajal, Oyarzún, Gálvez, Urrutia, Valdebenito, Troncoso, Quiroga"
    ),
    "EC": words(
        "Zambrano, Vera, Sánchez, Pérez, García, Rodríguez, Mendoza, Torres, Cedeño, Moreira, "
        "Macías, Suárez, López, Castro, Ramírez, Andrade, González, Chávez, Quiñónez, Morales, "
        "Ortiz, Vélez, Cevallos, Guamán, Reyes, Flores, Villacís, Intriago, Alcívar, Loor, "
        "Briones, Yépez, Toapanta, Chiluisa, Tene, Pazmiño, Bermeo, Mera, Cuenca, Mendieta, "
        "Tenorio, Anchundia, Mero, Cajamarca, Lema, Caiza, Quishpe, Pilco, Jácome, "
        "Villavicencio, Segovia, Llerena, Borja, Aldaz, Barreiro, Véliz, Salvatierra, Cañarte, "
        "Mosquera, Cañizares, Chicaiza, Tipán, Guachamín, Yánez, Proaño, Erazo, Viteri"
    ),
    "PE": words(
        "Quispe, Flores, Sánchez, Rodríguez, García, Rojas, Mamani, Huamán, Chávez, Díaz, "
        "Mendoza, Ramírez, Torres, Vásquez, López, Castillo, Condori, Gonzales, Pérez, Ramos, "
        "Espinoza, Gutiérrez, Cruz, Vargas, Apaza, Huanca, Ticona, Choque, Romero, Salazar, "
        "Ccama, Cusi, Yupanqui, Puma, Vilca, Sulca, Ayala, Huaranga, Cahuana, Ccori, Paucar, "
        "Ñaupari, Palomino, Vilcapoma, Zevallos, Cueva, Arce, Salcedo, Oré, Huayta, Inga, "
        "Mayta, Coaquira, Chambi, Layme, Taipe, Huillca, Quiroz, Alarcón, Chumpitaz, Nolasco"
    ),
    "CO": words(
        "Rodríguez, Gómez, González, Martínez, García, López, Hernández, Sánchez, Ramírez, "
        "Pérez, Díaz, Muñoz, Rojas, Moreno, Jiménez, Vargas, Castro, Gutiérrez, Álvarez, Romero, "
        "Ortiz, Torres, Suárez, Valencia, Restrepo, Quintero, Giraldo, Ospina, Cardona, Zapata, "
        "Arango, Gaviria, Osorio, Marín, Henao, Agudelo, Betancur, Londoño, Ocampo, Patiño, "
        "Bolaños, Mosquera, Rentería, Córdoba, Buitrago, Bedoya, Sierra, Uribe, Echeverry, "
        "Arboleda, Montaño, Ibarguen, Cuesta, Salgado, Guerra, Durán, Pinzón, Beltrán"
    ),
    "VE": words(
        "González, Rodríguez, Pérez, Hernández, García, Martínez, López, Sánchez, Ramírez, Díaz, "
        "Torres, Rojas, Romero, Gutiérrez, Flores, Rivas, Medina, Álvarez, Mendoza, Suárez, "
        "Castillo, Jiménez, Moreno, Blanco, Briceño, Marcano, Rangel, Guevara, Contreras, "
        "Vásquez, Colmenares, Urdaneta, Villalobos, Linares, Camacho, Chirinos, Bastidas, Zerpa, "
        "Rondón, Montilla, Mijares, Padrón, Brito, Lugo, Ochoa, Escalona, Arrieta, Ledezma, "
        "Tovar, Bello, Vielma, Querales, Piñango, Matheus, Graterol, Yépez, Quintero"
    ),
    "AR": words(
        "González, Rodríguez, Gómez, Fernández, López, Díaz, Martínez, Pérez, García, Sánchez, "
        "Romero, Sosa, Álvarez, Torres, Ruiz, Ramírez, Flores, Acosta, Benítez, Medina, Suárez, "
        "Herrera, Aguirre, Giménez, Gutiérrez, Pereyra, Rojas, Molina, Castro, Ortiz, Ferreyra, "
        "Ledesma, Rossi, Russo, Bianchi, Romano, Ferrari, Colombo, Ojeda, Coronel, Godoy, "
        "Cabral, Juárez, Moyano, Cejas, Mansilla, Páez, Villagra, Gallo, Ponce de León"
    ),
}
SURNAMES = ranked(COMMON_SURNAMES, *LOCAL_SURNAMES.values())

FIRST_COMMON: dict[str, tuple[str, ...]] = {
    "M": words(
        "José, Juan, Luis, Carlos, Jorge, Miguel, Pedro, Manuel, Francisco, Víctor, Jesús, "
        "Ángel, Óscar, Mario, Ricardo, Roberto, Fernando, Javier, Alberto, Eduardo, Sergio, "
        "Pablo, Daniel, David, Alejandro, Andrés, Diego, Héctor, Raúl, César, Julio, Hugo, "
        "Jaime, Alfredo, Gerardo, Guillermo, Enrique, Marco, Nelson, Wilson, Edwin, Rafael, "
        "Santiago, Nicolás, Martín, Gonzalo, Germán, Humberto, Gilberto, Gregorio, Ezequiel, "
        "Reinaldo, Gabriel, Sebastián, Hernán, Efraín, Franklin, Henry, Álvaro, Rubén, Ignacio"
    ),
    "F": words(
        "María, Ana, Rosa, Carmen, Luz, Gabriela, Daniela, Andrea, Carolina, Claudia, Patricia, "
        "Verónica, Mónica, Gloria, Sandra, Diana, Natalia, Paola, Alejandra, Lucía, Sofía, "
        "Valentina, Camila, Fernanda, Isabel, Elizabeth, Rocío, Lorena, Mariela, Ximena, "
        "Beatriz, Ruth, Marlene, Margarita, Elena, Cecilia, Susana, Teresa, Silvia, Yolanda, "
        "Olga, Norma, Graciela, Esperanza, Lourdes, Guadalupe, Ángela, Gisela, Jéssica, Karina, "
        "Vanessa, Johana, Katherine, Maritza, Nelly, Inés, Julia, Genoveva, Yesenia, Hilda"
    ),
}
FIRST_LOCAL: dict[tuple[str, str], tuple[str, ...]] = {
    ("CL", "M"): words(
        "Benjamín, Matías, Cristóbal, Vicente, Tomás, Joaquín, Felipe, Agustín, Maximiliano, "
        "Patricio, Segundo, Rodrigo, Bastián, Hernán"
    ),
    ("CL", "F"): words(
        "Javiera, Constanza, Catalina, Francisca, Isidora, Josefa, Antonia, Trinidad, Fernanda, "
        "Macarena, Pía, Millaray, Ayelén"
    ),
    ("EC", "M"): words(
        "Byron, Kléber, Édison, Washington, Darwin, Wilmer, Fausto, Segundo, Holger, Jhon, "
        "Marlon, Geovanny, Galo, Stalin"
    ),
    ("EC", "F"): words(
        "Nayeli, Sisa, Killa, Jessenia, Nathaly, Mayra, Mishell, Tatiana, Gissela, Janeth, "
        "Yadira, Fabiola, Narcisa"
    ),
    ("PE", "M"): words(
        "Jhon, Jhonatan, Wilfredo, Hilario, Teodoro, Elvis, Percy, Walter, Nilton, Yuri, "
        "Edgar, Hipólito, Gerson"
    ),
    ("PE", "F"): words(
        "Milagros, Lucero, Rosmery, Yaneth, Flor, Nélida, Yeni, Roxana, Maribel, Sheyla, "
        "Giovanna, Rosario"
    ),
    ("CO", "M"): words(
        "Jairo, Jhon, Brayan, Estiven, Yeison, Éider, Wílmar, Hárold, Fabián, Libardo, "
        "Argemiro, Hernando"
    ),
    ("CO", "F"): words(
        "Leidy, Mayerli, Yuliana, Juliana, Yurany, Marisol, Luz, Yeimi, Deisy, Érika, Liliana, "
        "Gladys, Jenny"
    ),
    ("VE", "M"): words(
        "Yeferson, Maikel, Yordan, Anderson, Yorman, Jhonny, Alexander, Richard, Freddy, "
        "Leonel, Yohan, Kelvin, Heberto, Gregori"
    ),
    ("VE", "F"): words(
        "Yuleisi, Yoselin, Dayana, Génesis, Zulay, Yamileth, Oriana, Mariángel, Yusmary, "
        "Milagros, Yelitza, Eglis, Yarelis"
    ),
    ("AR", "M"): words(
        "Lautaro, Facundo, Emiliano, Bautista, Gustavo, Leandro, Mauricio, Hernán, Ezequiel, "
        "Maximiliano, Gastón, Horacio"
    ),
    ("AR", "F"): words(
        "Antonella, Florencia, Agustina, Micaela, Romina, Celeste, Soledad, Belén, Milagros, "
        "Luciana, Gisela, Noelia"
    ),
}
SECOND = {
    "M": words(
        "Luis, Carlos, Antonio, José, Andrés, Alberto, Eduardo, Javier, Alfonso, David, Manuel, "
        "Alejandro, Enrique, Francisco, Ignacio, Esteban, Fernando, Gabriel, Rafael, Ricardo, "
        "Daniel, Miguel, Ángel, Pablo, Patricio, Alexander, Jesús, de Jesús, de Dios, Sebastián, "
        "Hernán, Gerardo, Arturo, Vicente, Ernesto, Rodrigo, Orlando, Emilio"
    ),
    "F": words(
        "José, María, Isabel, Alejandra, Belén, Elena, Cristina, Paz, Soledad, Fernanda, "
        "Ignacia, de los Ángeles, del Carmen, del Pilar, de Lourdes, del Rosario, Gabriela, "
        "Andrea, Lucía, Beatriz, Victoria, Antonia, Teresa, Esther, Eugenia, Alexandra, "
        "Carolina, Paola, Auxiliadora, de Fátima, Magdalena, Verónica, Patricia, Inés, Josefina"
    ),
}
FIRST = ranked(*FIRST_COMMON.values(), *FIRST_LOCAL.values())
SECONDS = ranked(*SECOND.values())

# Share of persons with two given names, by nationality.
SECOND_NAME_SHARE = {"CL": 0.85, "EC": 0.8, "PE": 0.65, "CO": 0.55, "VE": 0.65, "AR": 0.45}
# The population's nationalities per 100 (a corridor population: Chile and its migrants).
NATIONALITY_MIX = {"CL": 30, "VE": 24, "EC": 14, "PE": 14, "CO": 13, "AR": 5}
# Birth years per 100 by decade start, from 1945 to 2014 (adults and some minors).
BIRTH_DECADES = {1945: 5, 1955: 9, 1965: 15, 1975: 20, 1985: 23, 1995: 19, 2005: 9}


# --- tables the generator draws from, built once: one random() indexes each ---------------


def _interleave(*groups: Sequence[str]) -> tuple[str, ...]:
    longest = max(len(group) for group in groups)
    return ranked(group[i] for i in range(longest) for group in groups if i < len(group))


_SURNAME_INDEX = {name: i for i, name in enumerate(SURNAMES)}
_FIRST_INDEX = {name: i for i, name in enumerate(FIRST)}
_SECOND_INDEX = {name: i + 1 for i, name in enumerate(SECONDS)}  # 0: no second name
# Per country: its own surnames first, then the region's, then everybody else's (migrants).
SURNAME_TABLE = [
    zipf_table(ranked(LOCAL_SURNAMES[c], COMMON_SURNAMES, SURNAMES), _SURNAME_INDEX)
    for c in COUNTRIES
]
# Per country and sex (M, F): the region's first names interleaved with the country's own.
FIRST_TABLE = [
    [zipf_table(_interleave(FIRST_COMMON[s], FIRST_LOCAL[c, s]), _FIRST_INDEX) for s in "MF"]
    for c in COUNTRIES
]
SECOND_TABLE = [zipf_table(SECOND[s], _SECOND_INDEX) for s in "MF"]
SECOND_SHARE = [SECOND_NAME_SHARE[c] for c in COUNTRIES]
NATIONALITY_TABLE = [i for i, c in enumerate(COUNTRIES) for _ in range(NATIONALITY_MIX[c])]
BIRTH_YEARS = [
    (date(y, 1, 1).toordinal(), 366 if y % 4 == 0 else 365)
    for start, weight in BIRTH_DECADES.items()
    for y in range(start, start + 10)
    for _ in range(weight)
]
FIRST_DAY, LAST_DAY = date(1945, 1, 1).toordinal(), date(2014, 12, 31).toordinal()


# --- spelling slips ------------------------------------------------------------------------


def word_variants(word: str) -> set[str]:
    """Single realistic slips in one word: b/v, s/z/c, ll/y, silent h, g/j."""
    low, out = word.lower(), {"h" + word.lower()} if word[:1].lower() in VOWELS else set()
    for i, ch in enumerate(low):
        nxt, prev, front = low[i + 1 : i + 2], low[i - 1 : i], low[i + 1 : i + 2] in FRONT
        subs = {"b": "v", "v": "b", "z": "sc" if front else "s", "s": "zc" if front else "z"}
        reps = list(subs.get(ch, ""))
        if front and ch in "cgj":
            reps = {"c": ["s", "z"], "g": ["j"], "j": ["g"]}[ch]
        elif ch == "y" and nxt in VOWELS:
            reps = ["ll"]
        elif ch == "h" and nxt in VOWELS and (i == 0 or prev in VOWELS):
            reps = [""]
        out.update(low[:i] + rep + low[i + 1 :] for rep in reps)
        if ch == nxt == "l":
            out.add(low[:i] + "y" + low[i + 2 :])
    return {v[:1].upper() + v[1:] if word[:1].isupper() else v for v in out if v}


VARIANTS: dict[str, tuple[str, ...]] = {}


def typo_variants(name: str) -> tuple[str, ...]:
    """Every one-slip spelling of a name (the last word of "de la Cruz"), cached."""
    found = VARIANTS.get(name)
    if found is None:
        head, _, last = name.rpartition(" ")
        prefix = f"{head} " if head else ""
        found = VARIANTS[name] = tuple(sorted(prefix + v for v in word_variants(last)))
    return found
