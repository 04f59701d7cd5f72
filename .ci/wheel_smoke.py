"""Build alianza's wheel, install it in a fresh virtual environment outside the checkout,
and run a node with it: ``node init``, ``users add``, ``records import``, ``serve``, a
search and a hit/no-hit-free query over HTTP, and ``audit verify``.

What an operator does after ``pip install alianza-*.whl``: this is the check that the
package, not the checkout, can create and run a node (migrations, default model and
Swagger UI's files all inside the wheel). Exits non-zero, with the failing step, if any
step fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PERSON = {
    "id": "smoke-1",
    "schema": "Person",
    "properties": {
        "firstName": ["José Luis"],
        "fatherName": ["González"],
        "motherName": ["Pérez"],
        "birthDate": ["1985-07-14"],
        "nationality": ["cl"],
    },
    "alianza": {"extra": {"category": "wanted"}},
}


def step(name: str, args: list[str], *, cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    print(f"· {name}: {' '.join(args[:4])}…", flush=True)
    done = subprocess.run(
        args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"wheel smoke test: '{name}' failed (exit {done.returncode})")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="alianza-wheel-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIANZA_", "PYTHON"))}
    step(
        "build",
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(ROOT)],
        cwd=work,
        env=env,
    )
    [wheel] = (work / "dist").glob("alianza-*.whl")
    step("venv", [sys.executable, "-m", "venv", str(work / "venv")], cwd=work, env=env)
    bin_dir = work / "venv" / "bin"
    step("pip install", [str(bin_dir / "pip"), "install", "-q", str(wheel)], cwd=work, env=env)
    alianza = str(bin_dir / "alianza")
    node = str(work / "nodo")
    step(
        "node init",
        [alianza, "node", "init", "--dir", node, "--country", "CL", "--agency", "PDI"],
        cwd=work,
        env=env,
    )
    step(
        "users add admin",
        [alianza, "users", "add", "--dir", node, "--username", "admin", "--role", "administrator"],
        cwd=work,
        env=env,
    )
    out = step(
        "users add ana",
        [alianza, "users", "add", "--dir", node, "--username", "ana", "--role", "analyst"],
        cwd=work,
        env=env,
    )
    token = next(w for w in out.split() if w.startswith("alz_"))
    source = work / "datos.jsonl"
    source.write_text(json.dumps(PERSON) + "\n", encoding="utf-8")
    step(
        "records import",
        [
            alianza,
            "records",
            "import",
            str(source),
            "--dir",
            node,
            "--user",
            "ana",
            "--purpose",
            "investigación de tráfico",
            "--legal-basis",
            "Ley 20.000",
        ],
        cwd=work,
        env=env,
    )
    port = free_port()
    server = subprocess.Popen(
        [alianza, "serve", "--dir", node, "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                info = get(f"{base}/api/v1/node", token)
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("wheel smoke test: 'serve' exited early") from None
                time.sleep(0.5)
        else:
            raise SystemExit("wheel smoke test: 'serve' never answered")
        print(f"· serve: {info}", flush=True)
        found = get(f"{base}/api/v1/records?q=gonzalez", token)
        if not isinstance(found, list) or len(found) != 1:
            raise SystemExit(f"wheel smoke test: the search found {found!r}, not one record")
        with urllib.request.urlopen(f"{base}/docs", timeout=30) as page:
            html = page.read().decode()
        if "cdn." in html or "static-offline-docs" not in html:
            raise SystemExit("wheel smoke test: /docs does not serve its own assets")
        # The console: its templates, catalogues and vendored libraries are package data.
        with urllib.request.urlopen(f"{base}/consola/login", timeout=30) as page:
            html = page.read().decode()
        if page.status != 200 or "Iniciar sesión" not in html or "htmx.min.js" not in html:
            raise SystemExit("wheel smoke test: the console's log-in page is wrong")
        with urllib.request.urlopen(
            f"{base}/consola/static/vendor/htmx/htmx.min.js", timeout=30
        ) as script:
            if script.status != 200 or len(script.read()) < 10_000:
                raise SystemExit("wheel smoke test: the console's vendored htmx is not served")
    finally:
        server.terminate()
        server.wait(timeout=30)
    step("audit verify", [alianza, "audit", "verify", "--dir", node], cwd=work, env=env)
    # The shipped regional network and the map's outlines are package data: a plan and
    # its map from the installed wheel prove they were packaged.
    plan, png = work / "plan.json", work / "plan.png"
    step(
        "routes interdict --region",
        [alianza, "routes", "interdict", "--region", "--budget", "5", "-o", str(plan),
         "--map", str(png), "--quiet"],
        cwd=work,
        env=env,
    )  # fmt: skip
    if not json.loads(plan.read_text())["optimal"] or png.read_bytes()[:4] != b"\x89PNG":
        raise SystemExit("wheel smoke test: the regional plan or its map is wrong")
    corridor = work / "corredor.json"
    step(
        "corridor default",
        [alianza, "corridor", "default", "-o", str(corridor), "--days", "7"],
        cwd=work,
        env=env,
    )
    if not json.loads(corridor.read_text())["departures"]:
        raise SystemExit("wheel smoke test: the shipped corridor has no departures")
    # The regularisation programmes are package data: listed from the installed wheel.
    listed = subprocess.run(
        [alianza, "status", "programmes", "--json"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if listed.returncode != 0 or len(json.loads(listed.stdout)["programmes"]) < 4:
        raise SystemExit(f"wheel smoke test: status programmes failed\n{listed.stderr}")
    print("wheel smoke test: passed", flush=True)


if __name__ == "__main__":
    main()
