"""The situation picture drawn on the server: SVG charts for the page, one PNG and one
PDF for a meeting (matplotlib's object API on the Agg canvas, as ``routes.maps`` draws;
fpdf2 with the DejaVu font matplotlib ships, so every accent and arrow prints).

A chart in a browser would need a JavaScript library and the figures sent twice; an SVG
drawn here is lighter on a slow line, prints, and the page puts the same figures in a
table beside it (the text alternative).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alianza.web.console import i18n
from alianza.web.console.i18n import N_
from alianza.web.situation import SMALL_CELL, Picture

if TYPE_CHECKING:  # matplotlib loads with the first chart, not with the application
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Gettext = Callable[[str], str]
INK, MUTED, BLUE, RED = "#1b1f24", "#4a5560", "#0b4f8a", "#a4161a"
GREEN, SAND = "#146c2e", "#c9a227"
TOP = 10  # groups per bar chart (ports, routes)

COUNTRIES = {"CO": N_("Colombia"), "PE": N_("Perú"), "CL": N_("Chile"), "EC": N_("Ecuador")}
STATES = {
    "registered": N_("registrado"),
    "counselled": N_("orientado"),
    "consented": N_("con consentimiento"),
    "screened": N_("evaluado"),
    "approved": N_("aprobado"),
    "scheduled": N_("programado"),
    "departed": N_("salió"),
    "crossed": N_("cruzó la frontera"),
    "arrived": N_("llegó"),
    "followed_up": N_("con seguimiento"),
    "withdrawn": N_("desistido"),
    "referred": N_("derivado"),
    "on_hold": N_("en espera"),
}
RESULTS = {
    "eligible": N_("cumple"),
    "not_eligible": N_("no cumple"),
    "open": N_("en trámite"),
}
SERIES = {
    "queries_sent": N_("consultas enviadas"),
    "queries_received": N_("consultas recibidas"),
    "releases_asked": N_("entregas pedidas"),
    "releases_received": N_("entregas recibidas"),
}
TITLES = {
    "migrants": N_("Migrantes venezolanos por país de acogida y situación"),
    "month": N_("Incautaciones por mes (kg)"),
    "port": N_("Incautaciones por puerto (kg)"),
    "route": N_("Incautaciones por ruta (kg)"),
    "regularisation": N_("Regularización: solicitudes por país y resultado"),
    "corridor": N_("Corredor humanitario: casos por estado"),
    "exchange": N_("Intercambio: consultas y entregas por mes"),
}
ORDER = tuple(TITLES)


@dataclass(slots=True)
class Chart:
    key: str
    title: str
    svg: str


def _font() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _empty(ax: Axes, t: Gettext) -> None:
    ax.text(
        0.5, 0.5, t(N_("Sin datos")), ha="center", va="center", color=MUTED, transform=ax.transAxes
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _numbers(ax: Axes, lang: str, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda v, _: i18n.number(v, lang))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def _bars(ax: Axes, labels: list[str], values: list[float], colour: str, lang: str) -> None:
    rows = list(range(len(labels)))[::-1]
    ax.barh(rows, values, color=colour)
    ax.set_yticks(rows, labels)
    _numbers(ax, lang)


def _migrants(ax: Axes, p: Picture, t: Gettext, lang: str) -> None:
    labels = [t(COUNTRIES[m["country"]]) for m in p.migrants]
    totals = [m["total"] for m in p.migrants]
    irregular = [m["irregular"] or 0 for m in p.migrants]
    rows = list(range(len(labels)))[::-1]
    ax.barh(rows, totals, color=BLUE, label=t(N_("total")))
    ax.barh(rows, irregular, color=SAND, label=t(N_("en situación irregular (estimado)")))
    ax.set_yticks(rows, labels)
    _numbers(ax, lang)
    ax.legend(loc="lower right", fontsize=8, frameon=False)


def _seizures(by: str) -> Callable[[Axes, Picture, Gettext, str], None]:
    def draw(ax: Axes, p: Picture, t: Gettext, lang: str) -> None:
        rows = p.seizures_by.get(by, [])
        if not rows:
            _empty(ax, t)
            return
        if by == "month":
            ax.bar([r["key"] for r in rows], [r["quantity_kg"] for r in rows], color=RED)
            ax.tick_params(axis="x", labelrotation=45, labelsize=8)
            _numbers(ax, lang, "y")
            return
        shown = rows[:TOP]
        _bars(ax, [r["key"] for r in shown], [r["quantity_kg"] for r in shown], RED, lang)

    return draw


def _regularisation(ax: Axes, p: Picture, t: Gettext, lang: str) -> None:
    if not p.regularisation:
        _empty(ax, t)
        return
    rows = list(range(len(p.regularisation)))[::-1]
    left = [0.0] * len(rows)
    for key, colour in zip(RESULTS, (GREEN, RED, SAND), strict=True):
        values = [float(r[key]) for r in p.regularisation]
        ax.barh(rows, values, left=left, color=colour, label=t(RESULTS[key]))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(rows, [r["country"] for r in p.regularisation])
    _numbers(ax, lang)
    ax.legend(loc="lower right", fontsize=8, frameon=False)


def _corridor(ax: Axes, p: Picture, t: Gettext, lang: str) -> None:
    shown = [c for c in p.cases if c["cases"] is not None]
    if not shown:
        _empty(ax, t)
        return
    _bars(ax, [t(STATES.get(c["status"], c["status"])) for c in shown],
          [c["cases"] for c in shown], GREEN, lang)  # fmt: skip


def _exchange(ax: Axes, p: Picture, t: Gettext, lang: str) -> None:
    if not p.exchange:
        _empty(ax, t)
        return
    months = [r["month"] for r in p.exchange]
    width = 0.2
    for i, (key, colour) in enumerate(zip(SERIES, (BLUE, "#5b8fc7", RED, SAND), strict=True)):
        ax.bar([x + (i - 1.5) * width for x in range(len(months))],
               [r[key] for r in p.exchange], width, color=colour, label=t(SERIES[key]))  # fmt: skip
    ax.set_xticks(range(len(months)), months)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    _numbers(ax, lang, "y")
    ax.legend(fontsize=7, frameon=False)


DRAW: dict[str, Callable[[Axes, Picture, Gettext, str], None]] = {
    "migrants": _migrants,
    "month": _seizures("month"),
    "port": _seizures("port"),
    "route": _seizures("route"),
    "regularisation": _regularisation,
    "corridor": _corridor,
    "exchange": _exchange,
}


def _style(ax: Axes, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8, colors=INK)


def _figure(size: tuple[float, float]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def svg_charts(p: Picture, lang: str) -> list[Chart]:
    """One SVG per chart, text kept as text (small, and read by screen readers' tools)."""
    import matplotlib

    t = i18n.gettext_for(lang)
    out = []
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        for key in ORDER:
            figure = _figure((6.4, 3.4))
            ax = figure.add_subplot()
            DRAW[key](ax, p, t, lang)
            _style(ax, t(TITLES[key]))
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None})
            out.append(Chart(key, t(TITLES[key]), _scoped(buffer.getvalue(), key)))
    return out


def _scoped(svg: str, key: str) -> str:
    """The SVG element alone, its ids prefixed: several charts share one page."""
    svg = svg[svg.index("<svg") :]
    for before, after in (('id="', f'id="{key}-'), ("url(#", f"url(#{key}-"),
                          ('href="#', f'href="#{key}-')):  # fmt: skip
        svg = svg.replace(before, after)
    return svg


def _heading(p: Picture, t: Gettext, lang: str) -> str:
    made = i18n.moment(p.made_at, lang)
    return t(N_("Situación de la alianza · %(node)s · %(when)s")) % {"node": p.node, "when": made}


def png(p: Picture, lang: str) -> bytes:
    """All the charts on one page-sized PNG (150 dpi), with the heading and sources."""
    t = i18n.gettext_for(lang)
    figure = _figure((13.0, 16.0))
    figure.suptitle(_heading(p, t, lang), fontsize=14, x=0.01, ha="left")
    grid = list(figure.subplots(4, 2).flat)  # seven charts and the sources
    for key, ax in zip(ORDER, grid, strict=False):
        DRAW[key](ax, p, t, lang)
        _style(ax, t(TITLES[key]))
    # The free panel holds the sources (a figure's footer would run into the charts).
    notes = grid[len(ORDER)]
    notes.set_axis_off()
    wrapped = "\n".join(textwrap.fill(line, 78) for line in _sources(p, t).splitlines())
    notes.text(0, 1, wrapped, fontsize=8, color=MUTED, va="top", transform=notes.transAxes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, metadata={"Software": "alianza"})
    return buffer.getvalue()


def _sources(p: Picture, t: Gettext) -> str:
    lines = [t(N_("Fuentes de las cifras de migrantes (publicadas, no del nodo):"))]
    lines += [f"{t(COUNTRIES[m['country']])}: {m['source']}" for m in p.migrants]
    lines.append(
        t(N_("Incautaciones, corredor e intercambio: agregados del nodo (sin datos de personas)."))
    )
    lines.append(
        t(N_("Regularización y corredor: las celdas de menos de %(n)s no se muestran ni se suman."))
        % {"n": SMALL_CELL}
    )
    return "\n".join(lines)


def pdf(p: Picture, lang: str) -> bytes:
    """An A4 landscape report: heading, each chart on the page, the sources."""
    from fpdf import FPDF

    t = i18n.gettext_for(lang)
    fonts = _font()
    document = FPDF(orientation="landscape", format="A4")
    document.set_title(_heading(p, t, lang))
    document.set_author("alianza")
    document.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    document.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    document.set_auto_page_break(auto=True, margin=12)
    document.add_page()
    document.set_font("DejaVu", "B", 15)
    document.multi_cell(0, 8, _heading(p, t, lang), new_x="LMARGIN", new_y="NEXT")
    document.set_font("DejaVu", "", 9)
    for i, key in enumerate(ORDER):
        figure = _figure((6.4, 3.4))
        ax = figure.add_subplot()
        DRAW[key](ax, p, t, lang)
        _style(ax, t(TITLES[key]))
        image = io.BytesIO()
        figure.savefig(image, format="png", dpi=130)
        image.seek(0)
        column, row = i % 2, (i // 2) % 2
        if i and i % 4 == 0:
            document.add_page()
        top = (22 if i < 4 else 12) + row * 88
        document.image(image, x=12 + column * 138, y=top, w=134)
    document.add_page()
    document.set_font("DejaVu", "", 10)
    document.multi_cell(0, 5, _sources(p, t), new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
