"""The node key in a PKCS#11 token: SoftHSM2 (Debian's softhsm2), a real token library.

The token is made in the test's own folder (``SOFTHSM2_CONF``), so nothing touches the
machine's tokens. The key file then holds only the URI, the private key is created
non-extractable, and everything the node signs verifies with its published key exactly as
a file key's signatures do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from alianza.audit import service as audit
from alianza.audit.models import AuditEntry
from alianza.errors import Conflict, InputError, IntegrityFailure
from alianza.node.context import open_node
from alianza.node.keys import load_key, verify
from alianza.node.token import TokenKey, create_token_key, parse_uri
from tests.conftest import FreshNode

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "271828"


@pytest.fixture(scope="session")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SoftHSM2 token labelled 'alianza' for the session; returns its folder.

    SoftHSM2 reads ``SOFTHSM2_CONF`` once per process (at ``C_Initialize``), so the token
    lives as long as the test process; each test names its own key object.
    """
    # Installed by `make install-dev` and `.ci/run`: missing, the test must fail, not skip.
    assert MODULE.is_file() and shutil.which("softhsm2-util"), "falta softhsm2 (Debian)"
    store = tmp_path_factory.mktemp("hsm")
    (store / "tokens").mkdir()
    conf = store / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {store / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            "alianza",
            "--pin",
            PIN,
            "--so-pin",
            "31415926",
        ],
        check=True,
        capture_output=True,
    )
    pin_file = store / "pin"
    pin_file.write_text(PIN + "\n")
    pin_file.chmod(0o600)
    return store


def uri_for(hsm: Path, *, pin_file: Path | None = None, label: str | None = None) -> str:
    label = label or f"nodo-{uuid.uuid4().hex[:8]}"
    pin = pin_file or hsm / "pin"
    return f"pkcs11:token=alianza;object={label}?module-path={MODULE}&pin-source=file:{pin}"


@pytest.fixture
def token(hsm: Path) -> str:
    """The URI of a key object no test has used yet."""
    return uri_for(hsm)


def test_node_created_in_a_token_signs_there(fresh: FreshNode, token: str) -> None:
    node = fresh.init(country="EC", agency="Policía Nacional", pkcs11=token)
    assert isinstance(node.key, TokenKey)
    content = node.settings.key_path.read_text()
    assert content.strip() == token and "PRIVATE KEY" not in content
    # Signatures made in the token verify with the published key, like a file key's.
    signature = node.key.sign(b"mensaje")
    assert verify(node.key.public_hex, b"mensaje", signature)
    assert not verify(node.key.public_hex, b"otro", signature)
    with node.sessions() as session:
        report = audit.verify_chain(session, public_key=node.key.public_hex, node_id=node.node_id)
        assert report.ok, report
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "node.key_created")
        ).one()
        assert json.loads(entry.detail)["store"] == "pkcs11"
    # Re-opened from the key file: the same key, still in the token.
    again = open_node(node.settings)
    assert again.key.public_hex == node.key.public_hex
    again.close()


def test_the_private_key_cannot_leave_the_token(fresh: FreshNode, token: str) -> None:
    from pkcs11 import Attribute

    node = fresh.init(pkcs11=token)
    assert isinstance(node.key, TokenKey)
    private = node.key._private
    assert private[Attribute.SENSITIVE] is True
    assert private[Attribute.EXTRACTABLE] is False


def test_cli_creates_and_verifies_a_token_node(fresh: FreshNode, token: str) -> None:
    fresh.env = {**fresh.env, "SOFTHSM2_CONF": os.environ["SOFTHSM2_CONF"]}
    made = fresh.cli("node", "init", "--country", "CL", "--agency", "PDI", "--pkcs11", token)
    assert made.returncode == 0, made.stderr
    assert "token PKCS#11" in made.stdout
    checked = fresh.cli("audit", "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_wrong_pin_is_a_clear_error_and_writes_nothing(
    fresh: FreshNode, hsm: Path, tmp_path: Path
) -> None:
    # In a process of its own: PKCS#11 login is per process, and this one is logged in.
    wrong = tmp_path / "pin"
    wrong.write_text("000000\n")
    wrong.chmod(0o600)
    fresh.env = {**fresh.env, "SOFTHSM2_CONF": os.environ["SOFTHSM2_CONF"]}
    made = fresh.cli(
        "node",
        "init",
        "--country",
        "CL",
        "--agency",
        "PDI",
        "--pkcs11",
        uri_for(hsm, pin_file=wrong),
    )
    assert made.returncode != 0
    assert "PIN del token es incorrecto" in made.stdout + made.stderr
    assert "Traceback" not in made.stderr
    assert not fresh.settings.key_path.exists()
    assert not fresh.settings.data_dir.exists() or not any(fresh.settings.data_dir.iterdir())


def test_a_pin_file_others_can_read_is_refused(hsm: Path, tmp_path: Path) -> None:
    loose = tmp_path / "pin"
    loose.write_text(PIN)
    loose.chmod(0o644)
    with pytest.raises(IntegrityFailure, match="chmod 600"):
        create_token_key(uri_for(hsm, pin_file=loose))


def test_an_existing_label_is_not_overwritten(token: str, tmp_path: Path) -> None:
    first = create_token_key(token)
    assert isinstance(first, TokenKey)
    first.close()
    with pytest.raises(Conflict):
        create_token_key(token)


def test_a_key_file_naming_a_missing_object_is_refused(token: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    path = keys / "node.pem"
    path.write_text(token.replace("object=nodo", "object=otra"))
    path.chmod(0o600)
    with pytest.raises(IntegrityFailure, match="no tiene una clave"):
        load_key(path)


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("token=a;object=b", "pkcs11:"),
        ("pkcs11:object=b?module-path=/x.so", "token"),
        ("pkcs11:token=a?module-path=/x.so", "object"),
        ("pkcs11:token=a;object=b", "module-path"),
        ("pkcs11:token=a;object=b;color=red?module-path=/x.so", "color"),
        ("pkcs11:token=a;object=b?module-path=/x.so&module-name=y", "module-name"),
        ("pkcs11:token=a;object=b;type=public?module-path=/x.so", "privada"),
        ("pkcs11:token=a;object=b?module-path=/x.so&pin-value=1&pin-source=file:/p", "ambos"),
    ],
)
def test_uri_errors_name_what_is_wrong(uri: str, says: str) -> None:
    with pytest.raises(InputError) as err:
        parse_uri(uri)
    assert says in str(err.value.problems[0])


def test_uri_parts_are_read() -> None:
    uri = parse_uri("pkcs11:token=Mi%20token;object=nodo;id=%01?module-path=/m.so&pin-value=12")
    assert (uri.token, uri.object, uri.key_id, uri.module_path) == (
        "Mi token",
        "nodo",
        b"\x01",
        "/m.so",
    )
    assert uri.pin() == "12"
