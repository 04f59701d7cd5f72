"""Flows estimated from seizures: placing seizures, throughput, spreading, the floor."""

from __future__ import annotations

import pytest

from alianza.errors import InputError
from alianza.routes.estimate import Seizure, estimate, parse_seizures
from alianza.routes.network import parse

NODES = """id,name,country,kind,lat,lon,locode
p,Zona,CO,source,1.0,-77.0,
h,Centro,EC,transit,-1.0,-79.0,
g,Guayaquil,EC,transit,-2.19,-79.89,ECGYE
m,Manta,EC,transit,-0.94,-80.73,ECMEC
d,Destino,NL,sink,52.0,4.0,
"""
LINKS = """from,to,mode,capacity,interdiction_cost
p,h,road,,1
h,g,road,,1
h,m,road,,1
g,d,sea,,3
m,d,sea,500,3
"""


def test_throughput_spreads_back_to_the_production_zone() -> None:
    net = parse(NODES, LINKS)
    found = estimate(
        net,
        [Seizure(1000.0, 2022, locode="ECGYE"), Seizure(1000.0, 2023, place="g")],
        seizure_rate=0.25,
    )
    # 1,000 kg in its busiest year at a rate of 1/4: 4,000 kg a year through Guayaquil.
    assert found.throughput == {"g": pytest.approx(4000.0)}
    caps = dict(zip([(x.source, x.target) for x in net.links], found.capacities, strict=True))
    assert caps[("g", "d")] == 4000 and caps[("h", "g")] == 4000
    # The hub feeds Guayaquil 4,000 and, backward, must have received it from p.
    assert caps[("p", "h")] >= 4000
    assert caps[("m", "d")] == 500  # known capacities are kept
    assert found.placed == 2 and found.unplaced == 0 and found.estimated_links == 4


def test_seizures_snap_to_the_nearest_place_or_are_counted_unplaced() -> None:
    net = parse(NODES, LINKS)
    near_manta = Seizure(300.0, 2023, lat=-0.95, lon=-80.70)
    far_away = Seizure(300.0, 2023, lat=-33.0, lon=-71.6)
    found = estimate(net, [near_manta, far_away])
    assert set(found.throughput) == {"m"} and found.unplaced == 1


def test_no_evidence_anywhere_gives_every_unknown_link_one() -> None:
    found = estimate(parse(NODES, LINKS.replace("m,d,sea,500,3", "m,d,sea,,3")), [])
    assert found.capacities == [1.0, 1.0, 1.0, 1.0, 1.0]


def test_a_known_capacity_is_evidence_for_the_links_that_feed_it() -> None:
    found = estimate(parse(NODES, LINKS), [])
    # m->d carries 500 a year: what reaches Manta (h->m) and the hub (p->h) carried it.
    assert found.capacities[0] == 500 and found.capacities[2] == 500


@pytest.mark.parametrize("rate", [0.0, -0.1, 1.5])
def test_a_seizure_rate_outside_0_1_is_refused(rate: float) -> None:
    with pytest.raises(InputError, match="seizure-rate"):
        estimate(parse(NODES, LINKS), [], seizure_rate=rate)


def test_seizure_file_errors_name_row_and_field() -> None:
    with pytest.raises(InputError, match="fila 3, kilograms"):
        parse_seizures("place,year,kilograms\ng,2022,10\ng,2022,-4\n")
    with pytest.raises(InputError, match="fila 1"):
        parse_seizures("where,kg\ng,10\n")
