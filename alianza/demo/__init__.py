"""Deterministic synthetic data for the demo, the tests and the benchmarks."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="demo",
    summary="Demostración con dos nodos y datos sintéticos.",
    commands="alianza.demo.commands:register",
)
