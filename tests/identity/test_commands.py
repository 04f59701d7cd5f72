"""The real ``alianza link`` and ``alianza dedupe`` commands, run as processes on synthetic data."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alianza.identity.contract import HEADER
from alianza.identity.synthetic import LinkageTruth, dedupe_set, linkage_pair

Row = dict[str, str]
PAIR_HEADER = ["left_id", "right_id", "probability"]
PERSON_HEADER = ["record_id", "person_id"]
PROBABILITY = re.compile(r"^[01]\.\d{6}$")


def alianza(
    *args: str | Path, cwd: Path, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the real ``alianza`` (environment without ALIANZA_*), as FreshNode.cli does."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}
    environ.update({"COLUMNS": "400", **env})
    return subprocess.run(
        [sys.executable, "-m", "alianza.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=timeout,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def failed(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The one-line error of a failed run (no traceback), whitespace collapsed."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert re.search(r"^error: ", proc.stderr, re.MULTILINE), proc.stderr
    return " ".join(proc.stderr.split())


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def append(path: Path, *rows: list[str]) -> None:
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def make_pair(folder: Path, left: int, right: int, seed: int) -> LinkageTruth:
    folder.mkdir(parents=True, exist_ok=True)
    return linkage_pair(
        left_size=left,
        overlap=0.6,
        right_size=right,
        seed=seed,
        left_path=folder / "left.csv",
        right_path=folder / "right.csv",
        truth_path=folder / "truth.csv",
    )


@pytest.fixture
def pair(tmp_path: Path) -> LinkageTruth:
    return make_pair(tmp_path, 300, 260, seed=21)


def bad(record_id: str, **changes: str) -> list[str]:
    good = {
        "record_id": record_id,
        "given_names": "Ana María",
        "surname_1": "Pérez",
        "surname_2": "Soto",
        "birth_date": "1990-01-02",
        "sex": "F",
        "nationality": "CL",
        "document_type": "",
        "document_number": "",
    }
    return [{**good, **changes}[h] for h in HEADER]


# --- link ------------------------------------------------------------------------------------


def test_link_writes_the_contract_and_pairs_above_threshold(
    pair: LinkageTruth, tmp_path: Path
) -> None:
    out = tmp_path / "pares.csv"
    proc = ok(alianza("link", pair.left_path, pair.right_path, "-o", out, "--threshold", "0.8",
                      cwd=tmp_path))  # fmt: skip
    rows = read_csv(out)
    assert rows[0] == PAIR_HEADER
    body = rows[1:]
    assert len(body) >= 150
    assert all(len(r) == 3 and PROBABILITY.match(r[2]) for r in body), body[:3]
    assert all(float(r[2]) >= 0.8 for r in body)
    assert [float(r[2]) for r in body] == sorted((float(r[2]) for r in body), reverse=True)
    left_ids = {r["record_id"] for r in read_rows(pair.left_path)}
    right_ids = {r["record_id"] for r in read_rows(pair.right_path)}
    assert {r[0] for r in body} <= left_ids and {r[1] for r in body} <= right_ids
    # The pairs are the right ones.
    truth = {(a, b) for a, b in read_csv(pair.truth_path)[1:]}
    found = {(r[0], r[1]) for r in body}
    assert len(found & truth) >= 0.9 * len(found)
    assert len(found & truth) >= 0.85 * len(truth)
    assert f"{len(body)} pares con probabilidad ≥ 0.8" in proc.stdout
    assert not (tmp_path / "pares.csv.rechazadas.csv").exists()
    assert not (tmp_path / "pares.csv.partial").exists()


def test_link_one_to_one(pair: LinkageTruth, tmp_path: Path) -> None:
    out = tmp_path / "pares.csv"
    ok(alianza("link", pair.left_path, pair.right_path, "-o", out, "--one-to-one", cwd=tmp_path))
    body = read_csv(out)[1:]
    assert len(body) >= 150
    assert len({r[0] for r in body}) == len(body) == len({r[1] for r in body})


def test_link_reports_and_skips_bad_rows(pair: LinkageTruth, tmp_path: Path) -> None:
    # The synthetic files have a header and 300 / 260 rows: appended rows are 302, 303...
    append(
        pair.left_path,
        bad("MALO-1", sex="X"),  # row 302
        bad("MALO-2", birth_date="1990-02-30"),  # row 303
        ["MALO-3", "sólo", "tres"],  # row 304
    )
    append(pair.right_path, bad("MALO-4", nationality="ZZ"))  # row 262
    out = tmp_path / "pares.csv"
    proc = ok(alianza("link", pair.left_path, pair.right_path, "-o", out, cwd=tmp_path))
    err = " ".join(proc.stderr.split())
    assert "left.csv, fila 302, sex: 'X' no es M ni F" in err
    assert "left.csv, fila 303, birth_date: '1990-02-30' no es una fecha del calendario" in err
    assert "left.csv, fila 304, (fila): 3 campos en vez de 9" in err
    assert "right.csv, fila 262, nationality: 'ZZ' no es ISO 3166 alfa-2" in err
    assert "4 filas omitidas" in err
    report = tmp_path / "pares.csv.rechazadas.csv"
    assert read_csv(report) == [
        ["file", "row", "field", "reason"],
        ["left.csv", "302", "sex", "'X' no es M ni F"],
        ["left.csv", "303", "birth_date", "'1990-02-30' no es una fecha del calendario"],
        ["left.csv", "304", "(fila)", "3 campos en vez de 9"],
        ["right.csv", "262", "nationality", "'ZZ' no es ISO 3166 alfa-2"],
    ]
    body = read_csv(out)[1:]
    assert len(body) >= 150
    assert not {r[0] for r in body} & {"MALO-1", "MALO-2", "MALO-3"}
    assert "MALO-4" not in {r[1] for r in body}
    # A clean re-run removes the stale report.
    pair.left_path.write_text(
        "\n".join(pair.left_path.read_text(encoding="utf-8").splitlines()[:301]) + "\n",
        encoding="utf-8",
    )
    pair.right_path.write_text(
        "\n".join(pair.right_path.read_text(encoding="utf-8").splitlines()[:261]) + "\n",
        encoding="utf-8",
    )
    ok(alianza("link", pair.left_path, pair.right_path, "-o", out, cwd=tmp_path))
    assert not report.exists()


def test_bad_values_are_shown_literally(tmp_path: Path) -> None:
    # A value that looks like console markup is data, not formatting.
    folder = tmp_path / "datos"
    made = make_pair(folder, 60, 50, seed=3)
    append(made.left_path, bad("MALO-[b]", sex="[/x]"), bad("MALO-2", nationality="[red]"))
    out = tmp_path / "pares.csv"
    proc = ok(alianza("link", made.left_path, made.right_path, "-o", out, cwd=tmp_path))
    err = " ".join(proc.stderr.split())
    assert "fila 62, sex: '[/x]' no es M ni F" in err
    assert "fila 63, nationality: '[red]' no es ISO 3166" in err
    assert read_csv(tmp_path / "pares.csv.rechazadas.csv")[1][3] == "'[/x]' no es M ni F"


def test_strict_exits_2_and_writes_nothing(pair: LinkageTruth, tmp_path: Path) -> None:
    append(pair.right_path, bad("MALO-1", document_type="DNI"), bad("MALO-2", sex="X"))
    out = tmp_path / "pares.csv"
    err = failed(
        alianza("link", pair.left_path, pair.right_path, "-o", out, "--strict", cwd=tmp_path)
    )
    assert "right.csv: fila 262, document_type: 'DNI' desconocido" in err
    assert "fila 263" not in err
    assert "--strict" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["left.csv", "right.csv", "truth.csv"]


def test_strict_leaves_an_earlier_output_as_it_was(pair: LinkageTruth, tmp_path: Path) -> None:
    out = tmp_path / "pares.csv"
    out.write_text("left_id,right_id,probability\nA,B,0.900000\n", encoding="utf-8")
    append(pair.left_path, bad("MALO-1", sex="X"))
    failed(alianza("link", pair.left_path, pair.right_path, "-o", out, "--strict", cwd=tmp_path))
    assert out.read_text(encoding="utf-8") == "left_id,right_id,probability\nA,B,0.900000\n"


def test_strict_accepts_a_clean_file(tmp_path: Path) -> None:
    made = make_pair(tmp_path, 60, 50, seed=3)
    out = tmp_path / "pares.csv"
    ok(alianza("link", made.left_path, made.right_path, "-o", out, "--strict", cwd=tmp_path))
    assert read_csv(out)[0] == PAIR_HEADER


def test_missing_input_file_exits_2_in_spanish(pair: LinkageTruth, tmp_path: Path) -> None:
    out = tmp_path / "pares.csv"
    missing = tmp_path / "no-existe.csv"
    err = failed(alianza("link", pair.left_path, missing, "-o", out, cwd=tmp_path))
    assert f"error: {missing}: no se puede leer" in err
    assert not out.exists()
    err = failed(alianza("dedupe", missing, "-o", out, cwd=tmp_path))
    assert "no se puede leer" in err


def test_wrong_header_exits_2_naming_it(pair: LinkageTruth, tmp_path: Path) -> None:
    wrong = tmp_path / "otro.csv"
    wrong.write_text("id,nombre\n1,Ana\n", encoding="utf-8")
    err = failed(alianza("link", pair.left_path, wrong, "-o", tmp_path / "o.csv", cwd=tmp_path))
    assert "otro.csv: cabecera" in err
    assert "llegó 'id,nombre'" in err


def test_an_error_message_with_markup_is_shown_literally(tmp_path: Path) -> None:
    wrong = tmp_path / "otro.csv"
    wrong.write_text("id,[/x]\n", encoding="utf-8")
    err = failed(alianza("dedupe", wrong, "-o", tmp_path / "o.csv", cwd=tmp_path))
    assert "llegó 'id,[/x]'" in err


@pytest.mark.parametrize("threshold", ["0", "1.5"])
def test_threshold_outside_0_1_exits_2(pair: LinkageTruth, tmp_path: Path, threshold: str) -> None:
    out = tmp_path / "pares.csv"
    err = failed(
        alianza("link", pair.left_path, pair.right_path, "-o", out, "--threshold", threshold,
                cwd=tmp_path)
    )  # fmt: skip
    assert "--threshold" in err and "fuera de (0, 1]" in err
    assert not out.exists()


def test_unknown_engine_exits_2(pair: LinkageTruth, tmp_path: Path) -> None:
    out = tmp_path / "pares.csv"
    err = failed(
        alianza("link", pair.left_path, pair.right_path, "-o", out, "--engine", "sqlite",
                cwd=tmp_path)
    )  # fmt: skip
    assert "motor desconocido 'sqlite'" in err


def test_output_in_a_missing_folder_exits_2(pair: LinkageTruth, tmp_path: Path) -> None:
    out = tmp_path / "no-existe" / "pares.csv"
    err = failed(alianza("link", pair.left_path, pair.right_path, "-o", out, cwd=tmp_path))
    assert "no-existe" in err
    err = failed(alianza("dedupe", pair.left_path, "-o", out, cwd=tmp_path))
    assert "no-existe" in err


def test_a_file_without_valid_rows_exits_2(tmp_path: Path) -> None:
    only_bad = tmp_path / "malo.csv"
    only_bad.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    append(only_bad, bad("MALO-1", sex="X"))
    err = failed(alianza("dedupe", only_bad, "-o", tmp_path / "o.csv", cwd=tmp_path))
    assert "ningún registro válido" in err


def test_a_header_only_file_links_to_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "vacio.csv"
    empty.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    small = tmp_path / "pocos.csv"
    small.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    append(small, bad("A-1"), bad("A-2", given_names="Luis", sex="M"))
    out = tmp_path / "pares.csv"
    ok(alianza("link", small, empty, "-o", out, cwd=tmp_path))
    assert read_csv(out) == [PAIR_HEADER]
    ok(alianza("dedupe", empty, "-o", out, cwd=tmp_path))
    assert read_csv(out) == [PERSON_HEADER]


def test_small_files_say_they_use_the_shipped_model(tmp_path: Path) -> None:
    small = tmp_path / "pocos.csv"
    small.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    other = bad("A-2", given_names="Luis", surname_1="Rojas", birth_date="1971-05-30", sex="M")
    append(small, bad("A-1"), other, bad("A-3"))
    out = tmp_path / "personas.csv"
    proc = ok(alianza("dedupe", small, "-o", out, cwd=tmp_path))
    said = " ".join(proc.stderr.split())
    assert "registro pequeño (3 registros < 500): se usa el modelo incluido, sin entrenar" in said
    found = persons(out)
    assert found["A-1"] == found["A-3"] != found["A-2"]


# --- dedupe ----------------------------------------------------------------------------------


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    made = dedupe_set(size=400, seed=13, path=tmp_path / "reg.csv", truth_path=tmp_path / "t.csv")
    return made.path


def persons(path: Path) -> dict[str, str]:
    rows = read_csv(path)
    assert rows[0] == PERSON_HEADER
    assert all(len(r) == 2 for r in rows[1:])
    return dict(rows[1:])


def test_dedupe_writes_a_person_for_every_valid_record(registry: Path, tmp_path: Path) -> None:
    append(registry, bad("MALO-1", birth_date="02/01/1990"))  # row 402
    out = tmp_path / "personas.csv"
    proc = ok(alianza("dedupe", registry, "-o", out, cwd=tmp_path))
    assert "reg.csv, fila 402, birth_date" in " ".join(proc.stderr.split())
    ids = persons(out)
    valid = [r["record_id"] for r in read_rows(registry)][:-1]
    assert sorted(ids) == sorted(valid)
    assert all(re.fullmatch(r"P-[0-9A-F]{12}", pid) for pid in ids.values())
    # Records of one true person mostly share a person id.
    truth = dict(read_csv(tmp_path / "t.csv")[1:])
    together = sum(ids[a] == ids[b] for a in ids for b in ids if a < b and truth[a] == truth[b])
    duplicates = sum(1 for a in ids for b in ids if a < b and truth[a] == truth[b])
    assert together >= 0.85 * duplicates
    assert f"{len(ids)} registros, {len(set(ids.values()))} personas" in proc.stdout


def test_dedupe_previous_keeps_ids(registry: Path, tmp_path: Path) -> None:
    first = tmp_path / "personas.csv"
    ok(alianza("dedupe", registry, "-o", first, cwd=tmp_path))
    last = persons(first)
    # Again with the previous output, and with a copy of a duplicated person's record
    # under an id that sorts first: it joins that person, whose id does not change.
    rows = read_rows(registry)
    by_person: dict[str, list[str]] = {}
    for record, pid in last.items():
        by_person.setdefault(pid, []).append(record)
    pid, members = next((p, m) for p, m in sorted(by_person.items()) if len(m) >= 2)
    copy = next(r for r in rows if r["record_id"] == members[0])
    append(registry, [{**copy, "record_id": "A-000"}[h] for h in HEADER])
    second = tmp_path / "personas-2.csv"
    ok(alianza("dedupe", registry, "-o", second, "--previous", first, cwd=tmp_path))
    now = persons(second)
    assert now["A-000"] == pid
    assert {r: p for r, p in now.items() if r != "A-000"} == last


def test_dedupe_bad_previous_exits_2(registry: Path, tmp_path: Path) -> None:
    previous = tmp_path / "anterior.csv"
    previous.write_text("record_id,persona\nA,P-1\n", encoding="utf-8")
    err = failed(
        alianza("dedupe", registry, "-o", tmp_path / "o.csv", "--previous", previous,
                cwd=tmp_path)
    )  # fmt: skip
    assert "anterior.csv: cabecera" in err
    err = failed(
        alianza("dedupe", registry, "-o", tmp_path / "o.csv", "--previous",
                tmp_path / "no-existe.csv", cwd=tmp_path)
    )  # fmt: skip
    assert "no se puede leer" in err


# --- spark -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_spark_engine_matches_duckdb(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java for Spark")
    made = make_pair(tmp_path, 60, 50, seed=4)
    outputs = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.csv"
        ok(
            alianza("link", made.left_path, made.right_path, "-o", out, "--engine", engine,
                    cwd=tmp_path, timeout=900, SPARK_LOCAL_IP="127.0.0.1")
        )  # fmt: skip
        rows = read_csv(out)
        assert rows[0] == PAIR_HEADER
        outputs[engine] = {(a, b): float(p) for a, b, p in rows[1:]}
    duck, spark = outputs["duckdb"], outputs["spark"]
    assert len(duck) >= 30
    # The same pairs; probabilities agree closely, not exactly: each engine draws its own
    # random pairs for the u probabilities (seen: 0.985379 against 0.985714).
    assert set(spark) == set(duck)
    assert all(abs(spark[k] - duck[k]) <= 0.01 for k in duck), {
        k: (duck[k], spark[k]) for k in duck if abs(spark[k] - duck[k]) > 0.01
    }
