"""``alianza ports train|score|select`` end to end, as a user runs them."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from alianza.ports.contract import HEADER


def alianza(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from alianza.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def model_dir(files: Path) -> Path:
    directory = files / "modelo"
    if not directory.exists():
        run = alianza("ports", "train", str(files / "train.csv"), "--model", str(directory))
        assert run.returncode == 0, run.stderr
        assert "Modelo en" in run.stdout
    return directory


def test_score_writes_one_risk_per_valid_row(model_dir: Path, files: Path, tmp_path: Path) -> None:
    day = files / "day.csv"
    lines = day.read_text().splitlines()
    bad = lines[1].split(",")
    bad[9] = "CSQU3054384"  # a wrong container check digit
    broken = tmp_path / "day.csv"
    broken.write_text("\n".join([lines[0], ",".join(bad), *lines[2:]]) + "\n")
    out = tmp_path / "scores.csv"
    run = alianza("ports", "score", str(broken), "--model", str(model_dir), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert "fila 2, container_number" in run.stderr
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["declaration_id", "risk"]
    assert len(scores) == len(lines) - 2
    assert scores["risk"].between(0, 1).all()
    rejected = pd.read_csv(tmp_path / "scores.csv.rechazadas.csv")
    assert rejected[["row", "field"]].values.tolist() == [[2, "container_number"]]
    strict = alianza(
        "ports", "score", str(broken), "--model", str(model_dir), "-o", str(out), "--strict"
    )
    assert strict.returncode == 2 and "fila 2, container_number" in strict.stderr


def test_select_lists_explained_rows_with_probabilities(
    model_dir: Path, files: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lista.csv"
    args = ["--model", str(model_dir), "--budget", "0.05", "--explore", "0.2", "--seed", "5"]
    run = alianza("ports", "select", str(files / "day.csv"), *args, "-o", str(out), "--json")
    assert run.returncode == 0, run.stderr
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    total = len((files / "day.csv").read_text().splitlines()) - 1
    assert len(rows) == -(-total * 5 // 100)
    explored = [r for r in rows if r["selected_by"] == "exploración"]
    assert len(explored) == round(0.2 * len(rows))
    assert all(float(r["selection_probability"]) < 1 for r in explored)
    assert all(r["selection_probability"] == "1" for r in rows if r["selected_by"] == "modelo")
    assert all(r["explanation_1"] for r in rows if r["selected_by"] == "modelo")
    again = tmp_path / "otra.csv"
    alianza("ports", "select", str(files / "day.csv"), *args, "-o", str(again))
    assert again.read_text() == out.read_text()  # same seed, same list


def test_missing_or_wrong_version_model_is_one_line_exit_2(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    run = alianza(
        "ports", "score", str(files / "day.csv"), "--model", str(tmp_path), "-o", str(out)
    )
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "alianza ports train" in run.stderr
    (tmp_path / "meta.json").write_text('{"format_version": 99}')
    run = alianza(
        "ports", "score", str(files / "day.csv"), "--model", str(tmp_path), "-o", str(out)
    )
    assert run.returncode == 2 and "formato 99" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def test_unknown_columns_are_one_line_exit_2(model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "raro.csv"
    path.write_text(",".join([*HEADER, "color"]) + "\n")
    run = alianza("ports", "train", str(path), "--model", str(tmp_path / "m"))
    assert run.returncode == 2
    assert "columnas desconocidas: color" in run.stderr
    assert run.stderr.strip().count("\n") == 0
