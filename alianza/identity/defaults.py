"""The model shipped with alianza, for screening before a node has trained its own.

It is trained, without labels like every alianza model, on the project's own synthetic
registries (``synthetic.linkage_pair``, fixed seed), and committed as JSON so that no
model is ever fetched or trained at run time. Regenerate it after changing ``model.py``:

    .venv/bin/python -m alianza.identity.defaults

A test checks that it still fits the comparisons of ``model.py``.
"""

from __future__ import annotations

import copy
import functools
import json
import tempfile
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent / "default_model.json"
SEED = 2026


@functools.cache
def default_model() -> dict[str, Any]:
    """The shipped model (Splink JSON)."""
    model: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return model


def without_tf(model: dict[str, Any]) -> dict[str, Any]:
    """``model`` without term-frequency adjustments (a short list cannot measure them)."""
    out = copy.deepcopy(model)
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value"):
                level.pop(key, None)
    return out


def regenerate() -> dict[str, Any]:
    """Train the shipped model again on fresh synthetic registries and write it."""
    from alianza.identity import linker, synthetic
    from alianza.identity.contract import read_registry

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        synthetic.linkage_pair(
            left_size=synthetic.BENCHMARK_LEFT,
            overlap=synthetic.BENCHMARK_OVERLAP,
            right_size=synthetic.BENCHMARK_RIGHT,
            seed=SEED,
            left_path=d / "left.csv",
            right_path=d / "right.csv",
            truth_path=d / "truth.csv",
        )
        model = linker.train(
            read_registry(d / "left.csv").rows, read_registry(d / "right.csv").rows
        )
    PATH.write_text(json.dumps(model, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    default_model.cache_clear()
    return model


if __name__ == "__main__":
    regenerate()
    print(f"modelo escrito en {PATH}")
