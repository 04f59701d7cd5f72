"""The codes an APPLICATIONS.csv and a programme file may use, with their Spanish names.

A code outside these lists is refused (in a file: the row and the field; in a programme:
the condition): a typo such as ``refugie`` or ``pasaprote`` must stop the run, not be read
as "nothing declared". Protection flags come from ``alianza.corridor.blocks``, the one list
every module shares.
"""

from __future__ import annotations

from alianza.corridor.blocks import BLOCKING_FLAGS, LIFTED_BY

# Evidence an applicant provides (``documents``), each named as a caseworker would.
DOCUMENTS: dict[str, str] = {
    "pasaporte": "pasaporte",
    "cedula": "cédula o documento nacional de identidad del país de origen",
    "partida_nacimiento": "partida o certificado de nacimiento",
    "antecedentes_origen": "certificado de antecedentes penales del país de origen",
    "declaracion_antecedentes": "declaración jurada de no tener antecedentes penales",
    "acreditacion_vinculo": (
        "documento que acredita el vínculo familiar (certificado de matrimonio, de "
        "nacimiento o de acuerdo de unión civil)"
    ),
    "residencia_familiar": (
        "documento que acredita la nacionalidad o la residencia del familiar en el país"
    ),
    "registro_migratorio": "certificado de registro de permanencia migratoria (Ecuador)",
    "contrato_trabajo": "contrato de trabajo o promesa de contrato",
}

# The applicant's tie to a national or a resident of the country (``family_ties``).
FAMILY_TIES: dict[str, str] = {
    "conyuge": "cónyuge",
    "conviviente_civil": "conviviente civil",
    "padre_madre": "padre o madre",
    "hijo_menor": "hijo o hija menor de edad",
    "hijo_discapacidad": "hijo o hija con discapacidad",
    "hijo_estudiante": "hijo o hija soltero menor de 24 años que estudia",
    "tutela": "menor bajo tutela o curaduría",
    "hermano": "hermano o hermana",
    "otro": "otro vínculo",
}

# Protection flags (``flags``): the corridor's blocks and the flags that lift them.
FLAGS: dict[str, str] = {
    **BLOCKING_FLAGS,
    **{lifter: f"levanta el bloqueo «{flag}»" for flag, lifter in LIFTED_BY.items()},
}

# Which vocabulary each set-valued column of the contract draws from.
CODE_FIELDS: dict[str, dict[str, str]] = {
    "documents": DOCUMENTS,
    "family_ties": FAMILY_TIES,
    "flags": FLAGS,
}

# What each protection flag protects, cited in the explanation (the block itself is
# decided by ``alianza.corridor.blocks``; this only says where the law stands).
PROTECTION_SOURCES: dict[str, str] = {
    "asylum_pending": (
        "Convención de 1951 sobre el Estatuto de los Refugiados, art. 33 (no devolución)"
    ),
    "refugee": "Convención de 1951 sobre el Estatuto de los Refugiados, art. 33 (no devolución)",
    "unaccompanied_minor": "Convención sobre los Derechos del Niño, art. 3 (interés superior)",
    "trafficking_victim": "Protocolo de Palermo (2000), arts. 7 y 8",
    "unfit_to_travel": "criterio médico: no apto para viajar",
}
