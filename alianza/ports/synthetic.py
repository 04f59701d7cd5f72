"""Synthetic export declarations of Ecuador's container ports, with the truth kept aside.

The benchmark, the tests and the demo need a year of declarations that look like the real
trade, a small share of them illicit, and labels only where an imperfect past policy chose
to look; no such data set is public. ``generate`` writes it, vectorised with numpy (two
million rows in seconds):

- **Trade.** About 2,000,000 declarations a year (``per_year``) from Guayaquil ECGYE,
  Posorja ECPSJ, Puerto Bolívar ECPBO and Manta ECMEC; bananas 0803, shrimp 0306, cocoa
  1801, flowers 0603, tuna 1604, wood 44 and a little else, each with its own container
  types, weights, values per kilo and markets (Antwerp, Rotterdam, Hamburg, Algeciras,
  Valencia, San Antonio, US and Asian ports), some through transshipment hubs.
  Exporters follow a heavy-tailed volume law, keep their customs broker, home port,
  markets and habits (booking lead time, pricing); some start during the year.
- **Illicit loads** come from three sources: *front exporters* (new firms that ship for a
  few weeks, often through a few complicit brokers, to high-risk destinations and hubs,
  at odd prices, booked at short notice), *contamination* of honest exporters' containers
  (rip-on: rarer, more likely on some routes, hubs and reefer cargo) and a few
  *infiltrated* honest exporters. Honest noise blurs every signal: honest new exporters,
  honest short bookings (perishables), honest transshipments and odd prices.
- **Labels.** A past inspection policy with its own biases (it favours some ports and
  products, new exporters and a destination list of its own, plus tip-offs that find a
  share of the real loads) inspects about 4% of rows; an inspection finds a load 85% of
  the time. ``inspected``/``illicit`` follow the contract; the truth (``truth_illicit``)
  and the policy's probability (``inspection_probability``) are extra columns that the
  benchmark uses and the contract does not contain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from alianza.ports.contract import HEADER

PORTS = ("ECGYE", "ECPSJ", "ECPBO", "ECMEC")
PORT_SHARE = np.array([0.55, 0.30, 0.10, 0.05])


@dataclass(frozen=True, slots=True)
class Product:
    """One export trade: tariff lines, containers, kilos, dollars a kilo and markets."""

    hs: tuple[str, ...]
    share: float
    types: tuple[str, ...]
    kg: float  # mean gross weight of a container
    usd_kg: float  # mean declared value a kilo
    markets: dict[str, float]


DESTINATIONS = {
    "BEANR": "BE",
    "NLRTM": "NL",
    "DEHAM": "DE",
    "ESALG": "ES",
    "ESVLC": "ES",
    "ITGOA": "IT",
    "GBLGP": "GB",
    "FRLEH": "FR",
    "RULED": "RU",
    "TRMER": "TR",
    "CLSAI": "CL",
    "USPHL": "US",
    "USNYC": "US",
    "USLAX": "US",
    "USMIA": "US",
    "CNSHA": "CN",
    "JPTYO": "JP",
}
PRODUCTS = (
    Product(
        ("080390", "080310"),
        0.42,
        ("45R1", "42R1"),
        21_000,
        0.55,
        {
            "BEANR": 10,
            "NLRTM": 8,
            "DEHAM": 6,
            "RULED": 10,
            "ITGOA": 5,
            "TRMER": 6,
            "CLSAI": 9,
            "USPHL": 6,
            "USNYC": 3,
            "ESALG": 4,
            "GBLGP": 4,
            "CNSHA": 3,
        },
    ),
    Product(
        ("030617", "030616"),
        0.24,
        ("45R1", "42R1"),
        23_000,
        6.0,
        {"CNSHA": 30, "USLAX": 10, "USMIA": 6, "ESVLC": 10, "FRLEH": 8, "ITGOA": 5, "NLRTM": 4},
    ),
    Product(
        ("180100",),
        0.08,
        ("22G1", "45G1"),
        24_000,
        5.0,
        {"NLRTM": 12, "BEANR": 6, "USPHL": 8, "DEHAM": 5, "ESVLC": 3, "JPTYO": 3},
    ),
    Product(
        ("060311", "060319"),
        0.06,
        ("45R1",),
        9_000,
        5.5,
        {"USMIA": 15, "NLRTM": 8, "RULED": 6, "ESALG": 3, "CLSAI": 3},
    ),
    Product(
        ("160414",),
        0.08,
        ("22G1", "42G1"),
        22_000,
        4.2,
        {"ESVLC": 10, "USLAX": 6, "DEHAM": 4, "CLSAI": 6, "GBLGP": 5},
    ),
    Product(
        ("440729", "440722", "440399"),
        0.07,
        ("42G1", "45G1", "22G1"),
        20_000,
        0.9,
        {"CNSHA": 20, "USNYC": 5, "BEANR": 3, "DEHAM": 4, "JPTYO": 4},
    ),
    Product(
        ("200899", "090111", "151190"),
        0.05,
        ("22G1", "42G1"),
        22_000,
        2.5,
        {"USMIA": 6, "NLRTM": 4, "CLSAI": 6, "ESVLC": 3, "DEHAM": 3},
    ),
)
# Hubs by destination region, with the share of direct calls first.
_EUROPE = {"": 0.55, "PAMIT": 0.13, "COCTG": 0.08, "MAPTM": 0.10, "JMKIN": 0.06, "PABLB": 0.08}
_AMERICA = {"": 0.72, "PAMIT": 0.10, "PABLB": 0.10, "JMKIN": 0.08}
_PACIFIC = {"": 0.80, "PECLL": 0.20}
_ASIA = {"": 0.50, "PABLB": 0.20, "MXZLO": 0.20, "PAMIT": 0.10}
HUBS = {
    **dict.fromkeys(("BEANR", "NLRTM", "DEHAM", "ESALG", "ESVLC", "ITGOA", "GBLGP"), _EUROPE),
    **dict.fromkeys(("FRLEH", "RULED", "TRMER"), _EUROPE),
    **dict.fromkeys(("USPHL", "USNYC", "USLAX", "USMIA"), _AMERICA),
    "CLSAI": _PACIFIC,
    **dict.fromkeys(("CNSHA", "JPTYO"), _ASIA),
}
# Where the loads go (the traffickers' markets) and the hubs they like.
RISKY_PORTS = {"BEANR": 3.0, "NLRTM": 2.5, "ESALG": 2.5, "DEHAM": 2.0, "GBLGP": 1.8, "ITGOA": 1.5}
RISKY_HUBS = {"PAMIT": 2.0, "COCTG": 2.2, "JMKIN": 1.8, "MAPTM": 1.5}
OWNERS = ("MSCU", "MAEU", "CMAU", "HLXU", "ONEU", "EVGU", "CGMU", "SUDU", "TGHU", "ZIMU")

_VALUE = np.zeros(256, dtype=np.int64)
for _i, _c in enumerate("0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"):
    if _c != " ":
        _VALUE[ord(_c)] = _i


def container_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random ISO 6346 numbers with correct check digits."""
    owners = np.array(OWNERS)[rng.integers(0, len(OWNERS), n)]
    serials = rng.integers(0, 1_000_000, n)
    stems = np.char.add(owners.astype("U4"), np.char.zfill(serials.astype("U6"), 6))
    matrix = np.asarray(stems, dtype="S10").view(np.uint8).reshape(n, 10)
    total = (_VALUE[matrix] * (1 << np.arange(10))).sum(axis=1) % 11 % 10
    return np.char.add(stems, total.astype("U1"))


def imo_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid IMO numbers (seven digits, the last a check digit)."""
    stems = rng.choice(np.arange(900_000, 999_999), size=n, replace=False)
    digits = np.array([[int(c) for c in f"{s:06d}"] for s in stems])
    check = (digits * np.arange(7, 1, -1)).sum(axis=1) % 10
    return np.array([f"{s:06d}{c}" for s, c in zip(stems, check, strict=True)])


def _pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of ``weights`` (rows need not sum to 1)."""
    cum = np.cumsum(weights, axis=1)
    draw = rng.random(len(weights)) * cum[:, -1]
    return np.asarray(np.minimum((cum < draw[:, None]).sum(axis=1), weights.shape[1] - 1))


def generate(
    *, seed: int, start: date = date(2024, 1, 1), days: int = 365, per_year: int = 2_000_000
) -> pd.DataFrame:
    """Declarations over ``days`` days from ``start``, sorted by date, with the labels of
    the contract and the truth (``truth_illicit``, ``inspection_probability``)."""
    rng = np.random.default_rng(seed)
    dest_codes = list(DESTINATIONS)
    hub_codes = sorted({h for hubs in HUBS.values() for h in hubs if h})
    n_products = len(PRODUCTS)
    share = np.array([p.share for p in PRODUCTS])
    market = np.array([[p.markets.get(d, 0.0) for d in dest_codes] for p in PRODUCTS])
    brokers = np.array([f"AGA-{i:04d}" for i in rng.choice(10_000, 420, replace=False)])
    complicit = rng.choice(len(brokers), 8, replace=False)
    vessels = imo_numbers(rng, 140)

    # --- honest exporters (a fifth of them start during the period)
    n_exp = max(50, int(6_000 * per_year / 2_000_000))
    e_product = rng.choice(n_products, n_exp, p=share)
    e_port = rng.choice(len(PORTS), n_exp, p=PORT_SHARE)
    e_start = np.where(
        rng.random(n_exp) < 0.2, rng.integers(0, days, n_exp), -rng.integers(1, 3_000, n_exp)
    )
    e_volume = rng.pareto(1.3, n_exp) + 0.05
    e_broker = rng.integers(0, len(brokers), n_exp)
    e_lead = np.where(np.isin(e_product, (0, 1, 3)), 4.0, 12.0) * rng.lognormal(0, 0.5, n_exp)
    e_price = rng.normal(0, 0.15, n_exp)
    e_infiltrated = rng.random(n_exp) < 0.01
    e_ids = _ruc(rng, n_exp)
    # Three markets an exporter sells to, drawn from its product's.
    e_markets = np.stack([_pick(rng, market[e_product]) for _ in range(3)], axis=1)

    active = np.clip(days - np.maximum(e_start, 0), 0, None) / days
    n_honest = int(per_year * days / 365)
    exporter = rng.choice(n_exp, n_honest, p=_norm(e_volume * active))
    day = np.maximum(e_start[exporter], 0) + (
        rng.random(n_honest) * (days - np.maximum(e_start[exporter], 0))
    ).astype(np.int64)
    product = np.where(
        rng.random(n_honest) < 0.9, e_product[exporter], rng.choice(n_products, n_honest, p=share)
    )
    dest = e_markets[exporter, _pick(rng, np.tile([0.6, 0.3, 0.1], (n_honest, 1)))]
    off_market = market[product, dest] == 0
    dest = np.where(off_market, _pick(rng, market[product]), dest)
    port = np.where(
        rng.random(n_honest) < 0.85,
        e_port[exporter],
        rng.choice(len(PORTS), n_honest, p=PORT_SHARE),
    )
    lead = rng.poisson(e_lead[exporter])
    price = e_price[exporter] + rng.normal(0, 0.22, n_honest)
    broker = np.where(
        rng.random(n_honest) < 0.9, e_broker[exporter], rng.integers(0, len(brokers), n_honest)
    )
    honest = {
        "exporter": e_ids[exporter],
        "day": day,
        "product": product,
        "dest": dest,
        "port": port,
        "lead": lead,
        "price": price,
        "broker": broker,
        "front": np.zeros(n_honest, dtype=bool),
        "infiltrated": e_infiltrated[exporter],
    }

    # --- front exporters: a few weeks of shipments each, then gone
    n_front = max(5, int(160 * per_year / 2_000_000 * days / 365))
    f_start = rng.integers(0, days, n_front)
    f_len = rng.integers(15, 90, n_front)
    f_rows = rng.integers(3, 30, n_front)
    f_product = rng.choice(n_products, n_front, p=[0.55, 0.15, 0.12, 0.03, 0.05, 0.05, 0.05])
    f_broker = np.where(
        rng.random(n_front) < 0.45,
        rng.choice(complicit, n_front),
        rng.integers(0, len(brokers), n_front),
    )
    f_port = rng.choice(len(PORTS), n_front, p=[0.45, 0.35, 0.12, 0.08])
    f_ids = _ruc(rng, n_front)
    front = np.repeat(np.arange(n_front), f_rows)
    n_f = len(front)
    risky = np.array([RISKY_PORTS.get(d, 0.3) for d in dest_codes])
    f_dest = _pick(rng, (market[f_product[front]] > 0) * risky + 0.02 * risky)
    fronts = {
        "exporter": f_ids[front],
        "day": np.minimum(f_start[front] + rng.integers(0, f_len[front]), days - 1),
        "product": f_product[front],
        "dest": f_dest,
        "port": f_port[front],
        "lead": rng.poisson(2.5, n_f),
        "price": rng.normal(-0.25, 0.45, n_f),
        "broker": np.where(rng.random(n_f) < 0.85, f_broker[front], rng.integers(0, 420, n_f)),
        "front": np.ones(n_f, dtype=bool),
        "infiltrated": np.zeros(n_f, dtype=bool),
    }
    rows = {k: np.concatenate([honest[k], fronts[k]]) for k in honest}
    n = len(rows["day"])
    order = np.argsort(rows["day"], kind="stable")
    rows = {k: v[order] for k, v in rows.items()}

    product, dest, is_front = rows["product"], rows["dest"], rows["front"]
    dest_code = np.array(dest_codes)[dest]
    hub_weights = np.array([[HUBS[d].get(h, 0.0) for h in ["", *hub_codes]] for d in dest_codes])
    hub_bias = np.array([1.0, *(RISKY_HUBS.get(h, 1.0) for h in hub_codes)])
    weights = hub_weights[dest] * np.where(is_front[:, None], hub_bias**2, 1.0)
    hub = np.array(["", *hub_codes])[_pick(rng, weights)]

    kinds = [np.array(p.types) for p in PRODUCTS]
    type_pick = rng.integers(0, 3, n)
    ctype = np.empty(n, dtype="U4")
    hs = np.empty(n, dtype="U6")
    kg = np.empty(n)
    usd_kg = np.empty(n)
    for i, p in enumerate(PRODUCTS):
        mask = product == i
        ctype[mask] = kinds[i][type_pick[mask] % len(kinds[i])]
        hs[mask] = np.array(p.hs)[rng.integers(0, len(p.hs), mask.sum())]
        kg[mask] = p.kg
        usd_kg[mask] = p.usd_kg
    weight = np.round(kg * rng.lognormal(0, 0.07, n) * np.where(is_front, 1.05, 1.0), 1)
    value = np.round(weight * usd_kg * np.exp(rows["price"]), 2)

    # --- the truth
    port_code = np.array(PORTS)[rows["port"]]
    route = np.array([RISKY_PORTS.get(d, 0.4) for d in dest_codes])[dest]
    via = np.array([RISKY_HUBS.get(h, 1.0) for h in ["", *hub_codes]])[
        np.searchsorted(np.array(["", *hub_codes]), hub)
    ]
    cargo = np.array([1.6, 1.0, 0.9, 0.7, 0.6, 0.5, 0.8])[product]
    harbour = np.array([1.2, 1.2, 0.9, 0.8])[rows["port"]]
    hazard = 0.0011 * route * via * cargo * harbour
    hazard *= np.where(rows["lead"] <= 2, 1.5, 1.0)
    hazard *= np.where(np.isin(rows["broker"], complicit), 4.0, 1.0)
    hazard *= np.where(rows["infiltrated"], 12.0, 1.0)
    hazard = np.where(is_front, 0.33, np.minimum(hazard, 0.5))
    truth = rng.random(n) < hazard

    # --- the past policy: its own biases, some tip-offs, imperfect searches
    first_day = pd.Series(rows["day"]).groupby(rows["exporter"]).transform("min").to_numpy()
    young = (rows["day"] - first_day) < 60
    logit = (
        -3.9
        + np.array([0.3, -0.4, 0.2, 0.0])[rows["port"]]
        + np.array([0.3, -0.5, 0.2, -0.3, -0.6, 0.0, 0.1])[product]
        + np.isin(dest_code, ["BEANR", "NLRTM", "USPHL", "RULED"]) * 0.5
        + young * 0.5
        + (hub != "") * 0.2
        + rng.normal(0, 0.8, n)
    )
    probability = 1 / (1 + np.exp(-logit))
    tipped = truth & (rng.random(n) < 0.12)
    probability = np.where(tipped, np.maximum(probability, 0.9), probability)
    inspected = rng.random(n) < probability
    found = inspected & truth & (rng.random(n) < 0.85)

    start_ns = np.datetime64(start.isoformat(), "D")
    frame = pd.DataFrame(
        {
            "declaration_id": _declaration_ids(start, rows["day"], rows["port"]),
            "date": (start_ns + rows["day"].astype("timedelta64[D]")).astype("datetime64[s]"),
            "port": port_code,
            "exporter_id": rows["exporter"],
            "declarant_id": brokers[rows["broker"]],
            "hs_code": hs,
            "destination_country": np.array([DESTINATIONS[d] for d in dest_codes])[dest],
            "destination_port": dest_code,
            "transshipment_port": hub,
            "container_number": container_numbers(rng, n),
            "container_type": ctype,
            "gross_weight_kg": weight,
            "declared_value_usd": value,
            "vessel_imo": _vessels(rng, vessels, rows["port"], dest, rows["day"]),
            "booking_lead_days": np.minimum(rows["lead"], 365).astype(np.int16),
            "inspected": inspected.astype(np.int8),
            "illicit": np.where(inspected, found.astype(np.float32), np.nan).astype(np.float32),
            "truth_illicit": truth.astype(np.int8),
            "inspection_probability": probability,
        }
    )
    return frame


def _norm(weights: np.ndarray) -> np.ndarray:
    return np.asarray(weights / weights.sum())


def _ruc(rng: np.random.Generator, n: int) -> np.ndarray:
    """Company RUC-shaped ids (province, 9, serial, 001), distinct."""
    province = rng.choice(["09", "07", "13", "17"], n, p=[0.6, 0.2, 0.1, 0.1])
    serial = rng.choice(10_000_000, n, replace=False)
    return np.char.add(np.char.add(province, "9"), np.char.add(_z(serial, 7), "001"))


def _z(values: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(values.astype(f"U{width}"), width)


def _declaration_ids(start: date, day: np.ndarray, port: np.ndarray) -> np.ndarray:
    # DAE-like numbers: customs district, year, regime 40 (export), sequence.
    districts = np.array(["028", "028", "019", "013"])[port]
    year = np.array([(start + timedelta(days=int(d))).year for d in range(int(day.max()) + 1)])
    seq = _z(np.arange(len(day)), 8)
    return np.char.add(
        np.char.add(np.char.add(districts, "-"), year[day].astype("U4")),
        np.char.add("-40-", seq),
    )


def _vessels(
    rng: np.random.Generator,
    vessels: np.ndarray,
    port: np.ndarray,
    dest: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    # A weekly service per (port, destination) rotates through a few ships; a few unknown.
    service = (port * 31 + dest * 7 + (day // 7) % 4) % len(vessels)
    imo = vessels[service]
    return np.where(rng.random(len(day)) < 0.03, "", imo)


def contract_frame(frame: pd.DataFrame, *, labels: bool = True) -> pd.DataFrame:
    """The contract's columns only (what a port unit would hold)."""
    columns = list(HEADER) if labels else list(HEADER[:-2])
    return frame[columns]


def write_csv(frame: pd.DataFrame, path: object, *, labels: bool = True) -> None:
    """Write the contract's columns as CSV (dates as AAAA-MM-DD, empty labels empty)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = contract_frame(frame, labels=labels).copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    if labels:
        out["illicit"] = out["illicit"].map({0.0: "0", 1.0: "1"}).fillna("")
    table = pa.Table.from_pandas(out, preserve_index=False)
    pacsv.write_csv(table, str(path), write_options=pacsv.WriteOptions(quoting_style="none"))
