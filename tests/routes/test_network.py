"""The CSV contract of the routes network (``network.py``): every bad input is one
``InputError`` naming the file, the row (the spreadsheet's number: the header is row 1)
and the field; good input, with its optional and unknown columns, is read as written."""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from alianza.errors import InputError
from alianza.routes import network as net
from alianza.routes.network import Link, Network, Place, load, parse, parse_links, parse_places

NODES_HEADER = "id,name,country,kind,lat,lon"
LINKS_HEADER = "from,to,mode,capacity,interdiction_cost"
NODES = f"""{NODES_HEADER}
s,Origen,CO,source,1,-77
a,A,EC,transit,0,-78
t,Destino,NL,sink,52,4
"""
LINKS = f"""{LINKS_HEADER}
s,a,road,10,1
a,t,sea,4,2
"""
DATA = Path(__file__).resolve().parents[2] / "alianza" / "routes" / "data"


def message_of(call: Callable[[], object]) -> str:
    """The message of the ``InputError`` that ``call`` raises; it is always one line."""
    with pytest.raises(InputError) as info:
        call()
    message = info.value.message
    assert message and "\n" not in message and "\r" not in message, message
    assert info.value.problems, "the error names its field in problems too"
    return message


def at(file: str, row: int, field: str | None = None) -> str:
    """How a message about ``field`` of ``row`` begins (no field: about the whole row)."""
    return f"{file} fila {row}" + (f", {field}:" if field else ":")


def names_row(message: str, file: str, row: int) -> bool:
    """The message is about ``row`` of ``file``, whatever its field."""
    return message.startswith((f"{file} fila {row}:", f"{file} fila {row},"))


def nodes_with(*rows: str) -> str:
    return NODES + "".join(f"{r}\n" for r in rows)


def links_with(*rows: str) -> str:
    return LINKS + "".join(f"{r}\n" for r in rows)


# --- bad places ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("s,Otra vez,CO,source,1,-77", "id"),  # duplicate id
        (",Sin id,CO,transit,1,-77", "id"),
        ('"x\x07y",Control,CO,transit,1,-77', "id"),
        ("x,X,CO,hub,1,-77", "kind"),  # unknown kind
        ("x,X,CO,,1,-77", "kind"),
        ('x,X,CO,"si\nnk",1,-77', "kind"),
        ('x,X,"C\x01O",transit,1,-77', "country"),
        ("x,X," + "C" * 65 + ",transit,1,-77", "country"),
        ("x,X,CO,transit,90.5,-77", "lat"),
        ("x,X,CO,transit,-91,-77", "lat"),
        ("x,X,CO,transit,1,180.01", "lon"),
        ("x,X,CO,transit,1,-181", "lon"),
        ("x,X,CO,transit,nan,-77", "lat"),
        ("x,X,CO,transit,1,inf", "lon"),
        ("x,X,CO,transit,1,-inf", "lon"),
        ("x,X,CO,transit,1_0,-77", "lat"),
        ("x,X,CO,transit,,-77", "lat"),
        ("x,X,CO,transit,1", "lon"),  # too few cells: the missing one is empty
        ("x,X,CO,transit,abc,-77", "lat"),
        ('x,X,CO,transit,"1,5",-77', "lat"),
        ("x,X,CO,transit,0x1A,-77", "lat"),
        ("x,X,CO,transit,\u0663,-77", "lat"),  # an Arabic-Indic digit
        ("x,X,CO,transit,\uff11,-77", "lat"),  # a full-width digit
    ],
)
def test_a_bad_place_names_file_row_and_field(row: str, field: str) -> None:
    message = message_of(lambda: parse(nodes_with(row), LINKS))
    assert message.startswith(at("NODES.csv", 5, field)), message


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1_000", "x", "1e16"])
def test_a_bad_place_cost_names_the_optional_column(value: str) -> None:
    text = f"{NODES_HEADER},interdiction_cost\ns,S,CO,source,1,1,2\nt,T,NL,sink,2,2,{value}\n"
    message = message_of(lambda: parse_places(text, "lugares.csv"))
    assert message.startswith(at("lugares.csv", 3, "interdiction_cost")), message


# --- bad links -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("x,t,road,1,1", "from"),  # unknown place
        ("s,x,road,1,1", "to"),
        (",t,road,1,1", "from"),
        ("s,s,road,1,1", "to"),  # a link to itself
        ("s,t,,1,1", "mode"),
        ("s,t,Road 1,1,1", "mode"),
        ("s,t,road,-10,1", "capacity"),  # negative capacity
        ("s,t,road,-0.5e1,1", "capacity"),
        ("s,t,road,10,-1", "interdiction_cost"),  # negative cost
        ("s,t,road,nan,1", "capacity"),
        ("s,t,road,NaN,1", "capacity"),
        ("s,t,road,inf,1", "capacity"),
        ("s,t,road,Infinity,1", "capacity"),
        ("s,t,road,1e999,1", "capacity"),  # overflows to infinity
        ("s,t,road,1e16,1", "capacity"),  # more than MAX_VALUE
        ("s,t,road,1_000,1", "capacity"),
        ("s,t,road,10,1_0", "interdiction_cost"),
        ("s,t,road,10,uno", "interdiction_cost"),
        ("s,t,road,10 kg,1", "capacity"),
        ("s,t,road,\uff11\uff10,1", "capacity"),
    ],
)
def test_a_bad_link_names_file_row_and_field(row: str, field: str) -> None:
    message = message_of(lambda: parse(NODES, links_with(row)))
    assert message.startswith(at("LINKS.csv", 4, field)), message


@pytest.mark.parametrize(
    ("extra", "field"), [("-1,", "length"), ("x,", "length"), (",-2", "delay"), (",inf", "delay")]
)
def test_bad_length_or_delay_names_the_optional_column(extra: str, field: str) -> None:
    text = f"{LINKS_HEADER},length,delay\ns,a,road,10,1,,\na,t,sea,4,2,{extra}\n"
    message = message_of(lambda: parse(NODES, text))
    assert message.startswith(at("LINKS.csv", 3, field)), message


def test_an_unknown_place_quoted_over_lines_is_echoed_on_one_line() -> None:
    message = message_of(lambda: parse(NODES, links_with('"x\ny\rz\u2028",t,road,1,1')))
    assert message.startswith(at("LINKS.csv", 4, "from")), message


# --- the files' shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("id,name,country,kind,lat\ns,S,CO,source,1\n", "lon"),
        ("ID;NAME;COUNTRY;KIND;LAT;LON\n", "id"),
        ("name,country,kind,lat,lon,notes\n", "id"),
    ],
)
def test_a_missing_node_column_is_named_on_row_one(text: str, missing: str) -> None:
    message = message_of(lambda: parse_places(text))
    assert message.startswith(at("NODES.csv", 1)) and missing in message, message


@pytest.mark.parametrize(
    ("header", "missing"),
    [("from,to,mode,capacity", "interdiction_cost"), ("from,to,mode,cap,cost", "capacity")],
)
def test_a_missing_link_column_is_named_on_row_one(header: str, missing: str) -> None:
    message = message_of(lambda: parse(NODES, f"{header}\ns,a,road,10,1\n"))
    assert message.startswith(at("LINKS.csv", 1)) and missing in message, message


def test_a_repeated_column_is_named_on_row_one() -> None:
    message = message_of(lambda: parse(NODES, f"{LINKS_HEADER},To\ns,a,road,10,1,a\n"))
    assert message.startswith(at("LINKS.csv", 1)) and "repetidas: to" in message, message


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\ufeff", "\ufeff \r\n"])
def test_an_empty_file_is_named(text: str) -> None:
    assert message_of(lambda: parse_places(text)).startswith("NODES.csv:")
    assert message_of(lambda: parse(NODES, text)).startswith("LINKS.csv:")


def test_a_header_without_places_is_refused() -> None:
    message = message_of(lambda: parse(NODES_HEADER + "\n\n", LINKS_HEADER + "\n"))
    assert message.startswith("NODES.csv:") and "lugar" in message, message


def test_links_with_only_a_header_are_a_network_without_links() -> None:
    network = parse(NODES, LINKS_HEADER + "\n")
    assert network.links == [] and list(network.places) == ["s", "a", "t"]


def test_a_row_with_too_many_cells_names_its_row() -> None:
    message = message_of(lambda: parse(NODES, links_with("a,t,road,1,1,sobra")))
    assert message.startswith(at("LINKS.csv", 4)) and "6" in message and "5" in message


@pytest.mark.parametrize(
    ("row", "number"),
    [
        ('s,"a,road,10,1', 4),  # an unclosed quote swallows the rest of the file
        ('s,"a"x,road,10,1', 4),  # text after a closing quote
    ],
)
def test_malformed_csv_names_its_row(row: str, number: int) -> None:
    message = message_of(lambda: parse(NODES, links_with(row, "a,t,air,1,1")))
    assert message.startswith(at("LINKS.csv", number)) and "CSV" in message, message


def test_an_unclosed_quote_in_the_header_is_row_one() -> None:
    message = message_of(lambda: parse_places('id,"name,country,kind,lat,lon\n'))
    assert message.startswith(at("NODES.csv", 1)), message


@pytest.mark.parametrize(("kind", "missing"), [("source", "sink"), ("sink", "source")])
def test_a_network_without_a_source_or_a_sink_is_refused(kind: str, missing: str) -> None:
    text = f"{NODES_HEADER}\ns,S,CO,{kind},1,1\nt,T,NL,transit,2,2\n"
    message = message_of(lambda: parse(text, f"{LINKS_HEADER}\ns,t,road,1,1\n"))
    assert message.startswith("NODES.csv, kind:") and f"kind={missing}" in message, message


# --- what is accepted ------------------------------------------------------------------


def test_the_example_is_read_as_written() -> None:
    network = parse(NODES, LINKS)
    assert network.sources == ["s"] and network.sinks == ["t"]
    assert network.places["a"] == Place("a", "A", "EC", "transit", 0.0, -78.0)
    assert network.links == [
        Link("s", "a", "road", 10.0, 1.0),
        Link("a", "t", "sea", 4.0, 2.0),
    ]
    assert network.capacities() == [10.0, 4.0]


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse("\ufeff" + NODES, "\ufeff" + LINKS) == parse(NODES, LINKS)


def test_unknown_columns_are_ignored_and_headers_are_case_and_space_blind() -> None:
    nodes = (
        " Notes ,ID,Name,Country,Kind,Lat,Lon,color\n"
        "x,s,Origen,CO,source,1,-77,rojo\n"
        "y,a,A,EC,transit,0,-78,\n"
        ",t,Destino,NL,sink,52,4,azul\n"
    )
    links = "to,from,comment,mode,capacity,interdiction_cost\na,s,hola,road,10,1\nt,a,,sea,4,2\n"
    assert parse(nodes, links) == parse(NODES, LINKS)


def test_blank_lines_are_skipped_but_still_counted_as_rows() -> None:
    nodes = f"{NODES_HEADER}\n\ns,Origen,CO,source,1,-77\n,,,,,\n   \nt,T,NL,sink,2,2\n"
    network = parse(nodes, f"{LINKS_HEADER}\n\n\ns,t,road,1,1\n")
    assert list(network.places) == ["s", "t"] and len(network.links) == 1
    # The header is row 1, the four blank rows 2, 4, 5 and 7: the bad row is row 8.
    bad = nodes + "\nx,X,CO,transit,1,200\n"
    assert message_of(lambda: parse_places(bad)).startswith(at("NODES.csv", 8, "lon"))


def test_a_quoted_cell_over_two_lines_is_one_row() -> None:
    nodes = f'{NODES_HEADER}\ns,"Puerto,\nBuenaventura",CO,source,1,-77\nt,T,NL,sinks,2,2\n'
    assert message_of(lambda: parse_places(nodes)).startswith(at("NODES.csv", 3, "kind"))


def test_quoted_fields_keep_their_commas_and_quotes() -> None:
    nodes = (
        f"{NODES_HEADER}\n"
        '"Tumaco, Nariño","Tumaco, ""el puerto""",co,SOURCE,1.8,-78.8\n'
        "t,Rotterdam,NL,Sink,51.9,4.5\n"
    )
    links = f'{LINKS_HEADER}\n"Tumaco, Nariño",t,Sea,"1000.5",""\n'
    network = parse(nodes, links)
    place = network.places["Tumaco, Nariño"]
    assert place.name == 'Tumaco, "el puerto"' and place.country == "CO" and place.kind == "source"
    assert network.links == [Link("Tumaco, Nariño", "t", "sea", 1000.5, None)]


def test_optional_columns_are_read_and_normalised() -> None:
    nodes = (
        f"{NODES_HEADER},role,locode,interdiction_cost\n"
        "s,S,CO,source,1,-77,Production,,\n"
        "p,Buenaventura,CO,transit,3.9,-77.1,port,co bun,2.5\n"
        "t,T,NL,sink,52,4,destination,NLRTM,\n"
    )
    links = (
        f"{LINKS_HEADER},length,delay\ns,p,road,10,1,,\np,t,sea,,,9000,150.5\ns,t,air,1e2,3.0,12,\n"
    )
    network = parse(nodes, links)
    port = network.places["p"]
    assert (port.role, port.locode, port.interdiction_cost) == ("port", "COBUN", 2.5)
    assert network.places["s"].role == "production" and network.places["s"].locode == ""
    assert network.places["t"].interdiction_cost is None
    assert network.links == [
        Link("s", "p", "road", 10.0, 1.0, None, None),
        Link("p", "t", "sea", None, None, 9000.0, 150.5),
        Link("s", "t", "air", 100.0, 3.0, 12.0, None),
    ]
    assert network.length(1) == 9000.0
    assert network.length(0) == pytest.approx(net.great_circle_km(1, -77, 3.9, -77.1), abs=1e-3)


def test_an_empty_capacity_is_parsed_but_capacities_names_the_link() -> None:
    network = parse(NODES, f"{LINKS_HEADER}\ns,a,road,10,1\na,t,sea,,2\n")
    assert network.links[1].capacity is None
    message = message_of(network.capacities)
    assert "a -> t" in message and "capacity" in message, message


def test_parse_links_alone_uses_its_file_name() -> None:
    places = parse_places(NODES)
    message = message_of(lambda: parse_links(f"{LINKS_HEADER}\ns,z,road,1,1\n", places, "r.csv"))
    assert message.startswith(at("r.csv", 2, "to")), message


# --- load: the files themselves --------------------------------------------------------


def files_of(tmp_path: Path, nodes: bytes | str, links: bytes | str) -> tuple[Path, Path]:
    paths = tmp_path / "lugares.csv", tmp_path / "enlaces.csv"
    for path, body in zip(paths, (nodes, links), strict=True):
        path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    return paths


def test_load_reads_the_files_and_names_the_network(tmp_path: Path) -> None:
    network = load(*files_of(tmp_path, NODES, LINKS))
    assert network.name == "lugares"
    assert network.places == parse(NODES, LINKS).places
    assert network.links == parse(NODES, LINKS).links


def test_load_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    network = load(*files_of(tmp_path, bom + NODES.encode(), bom + LINKS.encode()))
    assert network.links == parse(NODES, LINKS).links


def test_load_refuses_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    latin1 = NODES.replace("Origen", "Bogotá").encode("latin-1")
    nodes, links = files_of(tmp_path, latin1, LINKS)
    message = message_of(lambda: load(nodes, links))
    assert message.startswith("lugares.csv:") and "UTF-8" in message, message
    nodes, links = files_of(tmp_path, NODES, LINKS.encode() + b"a,t,\xff\xfe,1,1\n")
    message = message_of(lambda: load(nodes, links))
    assert message.startswith("enlaces.csv:") and "UTF-8" in message, message


def test_load_names_each_file_in_its_errors(tmp_path: Path) -> None:
    nodes, links = files_of(tmp_path, NODES, links_with("s,t,road,-3,1"))
    assert message_of(lambda: load(nodes, links)).startswith(at("enlaces.csv", 4, "capacity"))
    nodes, links = files_of(tmp_path, nodes_with("x,X,CO,port,1,1"), LINKS)
    assert message_of(lambda: load(nodes, links)).startswith(at("lugares.csv", 5, "kind"))
    nodes, links = files_of(tmp_path, NODES.replace("sink", "transit"), LINKS)
    assert message_of(lambda: load(nodes, links)).startswith("lugares.csv, kind:")


def test_load_names_a_missing_file_or_a_folder(tmp_path: Path) -> None:
    nodes, links = files_of(tmp_path, NODES, LINKS)
    missing = tmp_path / "no_existe.csv"
    assert message_of(lambda: load(missing, links)).startswith("no_existe.csv:")
    assert message_of(lambda: load(nodes, missing)).startswith("no_existe.csv:")
    folder = tmp_path / "carpeta.csv"
    folder.mkdir()
    assert message_of(lambda: load(nodes, folder)).startswith("carpeta.csv:")


def test_the_shipped_region_reads_under_the_contract() -> None:
    network = load(DATA / "region_nodes.csv", DATA / "region_links.csv")
    assert network.sources and network.sinks and len(network.links) > 100


# --- properties ------------------------------------------------------------------------

# Text a spreadsheet could hold in a cell: no control characters, no lone surrogates,
# nothing that strip() would take from its ends.
CELL = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).filter(lambda s: s == s.strip())
MODES = ["road", "river", "sea", "air", "rail", "ferry_fast", "go-fast"]
AMOUNT = st.none() | st.floats(0, net.MAX_VALUE, allow_nan=False) | st.integers(0, 10**9).map(float)


@st.composite
def networks(draw: st.DrawFn) -> Network:
    ids = draw(st.lists(CELL, min_size=2, max_size=7, unique=True))
    assume(not set(ids) & set(MODES))  # a dropped cell must shift a mode into from/to
    more = st.lists(st.sampled_from(net.KINDS), min_size=len(ids) - 2, max_size=len(ids) - 2)
    kinds = ["source", "sink", *draw(more)]
    places = {}
    for pid, kind in zip(ids, kinds, strict=True):
        places[pid] = Place(
            id=pid,
            name=draw(CELL),
            country=draw(st.sampled_from(["", "CO", "EC", "NL", "US-FL"])),
            kind=kind,
            lat=draw(st.floats(-90, 90)),
            lon=draw(st.floats(-180, 180)),
            role=draw(st.sampled_from(["", "hub", "port", "production", "destination"])),
            locode=draw(st.sampled_from(["", "COBUN", "NLRTM"])),
            interdiction_cost=draw(AMOUNT),
        )
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1])
    links = [
        Link(
            a,
            b,
            draw(st.sampled_from(MODES)),
            draw(AMOUNT),
            draw(AMOUNT),
            draw(AMOUNT),
            draw(AMOUNT),
        )
        for a, b in draw(st.lists(pairs, min_size=1, max_size=10))
    ]
    return Network(places, links)


def written(network: Network) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        nodes, links = Path(tmp) / "NODES.csv", Path(tmp) / "LINKS.csv"
        net.write(network, nodes, links)
        return nodes.read_text(encoding="utf-8"), links.read_text(encoding="utf-8")


def only_input_errors(call: Callable[[], Any]) -> None:
    try:
        call()
    except InputError as exc:
        assert exc.message and "\n" not in exc.message and "\r" not in exc.message


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text that gets past the header, to reach the rows' checks.
CSVISH = st.text(st.sampled_from(list('st,"\n\r;.-+e0123456789 xñ\x00\u2028')) | st.characters())


@PROPERTY
@given(st.text(), st.text())
def test_any_text_is_a_network_or_an_input_error(nodes: str, links: str) -> None:
    only_input_errors(lambda: parse(nodes, links))
    only_input_errors(lambda: parse(NODES, links))
    only_input_errors(lambda: parse(nodes, LINKS))


@PROPERTY
@given(CSVISH, CSVISH)
def test_any_rows_under_a_good_header_are_a_network_or_an_input_error(
    nodes: str, links: str
) -> None:
    only_input_errors(lambda: parse(f"{NODES_HEADER},interdiction_cost\n{nodes}", LINKS))
    only_input_errors(lambda: parse(NODES, f"{LINKS_HEADER},length,delay\n{links}"))
    only_input_errors(lambda: parse(NODES, LINKS_HEADER + "\ns,a,road," + links))


@PROPERTY
@given(networks())
def test_a_written_network_loads_back_equal(network: Network) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        nodes, links = Path(tmp) / "red.csv", Path(tmp) / "enlaces.csv"
        net.write(network, nodes, links)
        loaded = load(nodes, links)
    assert loaded.places == network.places
    assert list(loaded.places) == list(network.places)
    assert loaded.links == network.links
    assert loaded.name == "red"


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def text_of(rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue()


NODE_NUMBERS = {"lat": 4, "lon": 5, "interdiction_cost": 8}
LINK_NUMBERS = {"capacity": 3, "interdiction_cost": 4, "length": 5, "delay": 6}


@PROPERTY
@given(networks(), st.data())
def test_a_mutated_row_is_named(network: Network, data: st.DataObject) -> None:
    nodes_text, links_text = written(network)
    nodes, links = rows_of(nodes_text), rows_of(links_text)
    mutation = data.draw(st.sampled_from(["drop", "letter", "negative", "unknown"]))
    in_nodes = mutation != "unknown" and data.draw(st.booleans())
    rows = nodes if in_nodes else links
    index = data.draw(st.integers(1, len(rows) - 1))
    row = rows[index]
    field: str | None
    if mutation == "drop":  # a required cell: the ones after it shift left, all wrong
        row.pop(data.draw(st.integers(0, 5) if in_nodes else st.integers(0, 2)))
        field = None
    elif mutation == "letter":
        field = data.draw(st.sampled_from(sorted(NODE_NUMBERS if in_nodes else LINK_NUMBERS)))
        column = (NODE_NUMBERS if in_nodes else LINK_NUMBERS)[field]
        row[column] = data.draw(st.sampled_from(["{}x", "x{}", "{}O", "{} kg"])).format(row[column])
    elif mutation == "negative":
        field = (
            "interdiction_cost" if in_nodes else data.draw(st.sampled_from(sorted(LINK_NUMBERS)))
        )
        column = 8 if in_nodes else LINK_NUMBERS[field]
        row[column] = "-" + data.draw(st.sampled_from(["1", "0.5", "3e2", ".1"]))
    else:
        field = data.draw(st.sampled_from(["from", "to"]))
        stranger = data.draw(CELL.filter(lambda s: s not in network.places))
        row[0 if field == "from" else 1] = stranger
    name = "NODES.csv" if in_nodes else "LINKS.csv"
    mutated = (text_of(nodes), links_text) if in_nodes else (nodes_text, text_of(links))
    message = message_of(lambda: parse(*mutated))
    if field is None:
        assert names_row(message, name, index + 1), message
    else:
        assert message.startswith(at(name, index + 1, field)), message


def test_write_keeps_numbers_exact() -> None:
    places = {
        "s": Place("s", "S", "CO", "source", -0.0, 1e-7),
        "t": Place("t", "T", "NL", "sink", 89.99999999999999, -180.0, interdiction_cost=1e15),
    }
    links = [Link("s", "t", "sea", 0.1 + 0.2, 5e-324, 1e15, None)]
    with tempfile.TemporaryDirectory() as tmp:
        nodes, links_path = Path(tmp) / "n.csv", Path(tmp) / "l.csv"
        net.write(Network(places, links), nodes, links_path)
        loaded = load(nodes, links_path)
    assert loaded.links == links
    assert loaded.places == places
    assert math.copysign(1, loaded.places["s"].lat) == -1
