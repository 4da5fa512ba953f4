"""Tiny inline-SVG charts for self-contained HTML reports (no plotting library at run time).

Every chart has a title, axes with tick labels (or row and column names), a legend for its
marks and colours, and a tooltip (an SVG ``<title>``) on every mark; numbers are printed with
:func:`autofeat.report.page.num`.
"""

from __future__ import annotations

import math
from html import escape

from autofeat.report.page import num

__all__ = ["bar_chart", "grouped_bars", "scatter_log_x", "heat_map", "history_chart", "histograms", "category_matrix",
           "nice_ticks"]

_FONT = 'font-family="system-ui,sans-serif" font-size="11" fill="#333"'
_BLUE, _LIGHT, _RED, _GREY = "#4878a8", "#9cc3e6", "#c0504d", "#999"
_AXIS = 'stroke="#888" stroke-width="1"'
_GRID = 'stroke="#ececec" stroke-width="1"'


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi - lo < 1e-12:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks, v = [], start
    while v < hi + step * 0.999:
        ticks.append(round(v, 12))
        v += step
    return ticks if len(ticks) >= 2 else [lo, hi]


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>',
            f'<text x="4" y="14" {_FONT} font-size="12" font-weight="600">{escape(title)}</text>']


def _legend(items: list[tuple[str, str, str]], x: float, y: float) -> list[str]:
    """One row of legend entries ``(label, colour, shape)``, shape ``rect``, ``dot``, ``line``
    or ``tick``, starting at (x, y) (y: the text's baseline)."""
    out = []
    for label, color, shape in items:
        if shape == "dot":
            out.append(f'<circle cx="{x + 5}" cy="{y - 4}" r="4" fill="{color}"/>')
        elif shape == "line":
            out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 14}" y2="{y - 4}" stroke="{color}" stroke-width="2"/>')
        elif shape == "dash":
            out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 14}" y2="{y - 4}" stroke="{color}" stroke-width="1.5" '
                       'stroke-dasharray="4 2"/>')
        elif shape == "tick":
            out.append(f'<line x1="{x + 6}" y1="{y - 9}" x2="{x + 6}" y2="{y}" stroke="{color}" stroke-width="1.5"/>')
        else:
            out.append(f'<rect x="{x}" y="{y - 9}" width="12" height="10" fill="{color}" stroke="#bbb" stroke-width="0.5"/>')
        out.append(f'<text x="{x + 18}" y="{y}" {_FONT}>{escape(label)}</text>')
        x += 30 + 6.2 * len(label)
    return out


def _left_axis(ticks: list[float], py, left: float, right: float, label: str, top: float, bottom: float,
               fmt=num) -> list[str]:  # type: ignore[no-untyped-def]
    """Gridlines and tick labels of a y axis at ``left``, its line and rotated ``label``."""
    out = []
    for v in ticks:
        y = py(v)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" {_GRID}/>')
        out.append(f'<text x="{left - 5}" y="{y + 3.5:.1f}" text-anchor="end" {_FONT}>{fmt(v)}</text>')
    mid = (top + bottom) / 2
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" {_AXIS}/>')
    out.append(f'<text x="13" y="{mid:.1f}" transform="rotate(-90 13 {mid:.1f})" text-anchor="middle" {_FONT}>'
               f'{escape(label)}</text>')
    return out


def _bottom_axis(ticks: list[tuple[float, str]], px, y: float, left: float, right: float, label: str,
                 label_y: float, grid_top: float | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """Ticks ``(value, text)`` and label of an x axis at height ``y``; gridlines up to ``grid_top``."""
    out = [f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" {_AXIS}/>']
    for v, text in ticks:
        x = px(v)
        if grid_top is not None:
            out.append(f'<line x1="{x:.1f}" y1="{grid_top}" x2="{x:.1f}" y2="{y}" {_GRID}/>')
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" {_AXIS}/>')
        out.append(f'<text x="{x:.1f}" y="{y + 15}" text-anchor="middle" {_FONT}>{escape(text)}</text>')
    out.append(f'<text x="{(left + right) / 2:.1f}" y="{label_y}" text-anchor="middle" {_FONT}>{escape(label)}</text>')
    return out


def bar_chart(labels: list[str], values: list[float], *, title: str, colors: list[str] | None = None,
              extra: list[float] | None = None, extra_color: str = _LIGHT, width: int = 960,
              xlabel: str = "value", legend: list[tuple[str, str]] | None = None,
              fmt=num) -> str:  # type: ignore[no-untyped-def]
    """Horizontal bars, one per label, with the value printed at the bar's end and an x axis;
    ``extra`` (non-negative) is stacked after each positive bar in ``extra_color``; ``legend``
    lists ``(label, colour)`` entries (default: one, ``xlabel`` in the bars' colour)."""
    row = 19
    tops = [max(v, 0.0) + e for v, e in zip(values, extra)] if extra else list(values)
    left = min(240, 14 + 6.6 * max((len(s) for s in labels), default=4))
    top = 44
    height = top + row * len(labels) + 44
    high = max(tops + [1e-12])
    low = min(values + [0.0])
    if low > -0.02 * high:  # a sliver below 0 (noise scores) would cost a whole tick step
        low = 0.0
    ticks = nice_ticks(low, high, 6)
    lo, hi = ticks[0], ticks[-1]
    plot_w = width - left - (170 if extra else 90)  # room for the value labels

    def px(v: float) -> float:
        return left + plot_w * (max(v, lo) - lo) / (hi - lo)

    zero = px(0.0)
    bottom = top + row * len(labels) + 4
    parts = _open(width, height, title)
    parts += _legend([(lab, c, "rect") for lab, c in (legend or [(xlabel, _BLUE)])], left, 32)
    parts += _bottom_axis([(t, fmt(t)) for t in ticks], px, bottom, left, px(hi), xlabel, height - 6, grid_top=top - 4)
    for i, (lab, v) in enumerate(zip(labels, values)):
        y = top + i * row
        x0, x1 = sorted((zero, px(v)))
        color = colors[i] if colors else _BLUE
        tip = f"{lab}: {fmt(v)}" + (f" + {fmt(extra[i])}" if extra and extra[i] > 0 else "")
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" {_FONT}>{escape(lab)}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 0.5):.1f}" height="{row - 5}" '
                     f'fill="{color}"><title>{escape(tip)}</title></rect>')
        end = max(x1, zero)
        label = fmt(v)
        if extra and extra[i] > 0:
            we = px(extra[i]) - px(0.0)
            parts.append(f'<rect x="{end:.1f}" y="{y + 2}" width="{we:.1f}" height="{row - 5}" fill="{extra_color}">'
                         f'<title>{escape(tip)}</title></rect>')
            end += we
            label += f" + {fmt(extra[i])}"
        parts.append(f'<text x="{end + 4:.1f}" y="{y + 12}" {_FONT}>{escape(label)}</text>')
    parts.append(f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{bottom}" {_AXIS}/>')
    parts.append("</svg>")
    return "".join(parts)


def _decade(d: int) -> str:
    return f"{10 ** d:,}" if d < 6 else f"1e{d}"


def scatter_log_x(xs: list[float], ys: list[float], names: list[str], *, title: str, xlabel: str,
                  ylabel: str, colors: list[str] | None = None, tips: list[str] | None = None,
                  legend: list[tuple[str, str]] | None = None, label_top: int = 0,
                  width: int = 960, height: int = 340) -> str:
    """Points on a log10 x axis; hovering a point shows its name (and ``tips``); the
    ``label_top`` highest points are labelled in place."""
    left, bottom, top, right = 66, 44, 44, 30
    lx = [math.log10(max(x, 1.0)) for x in xs]
    xmax = max(1, math.ceil(max(lx + [1.0])))
    yt = nice_ticks(min(ys + [0.0]), max(ys + [1e-12]), 5)
    ymin, ymax = yt[0], yt[-1]
    pw, ph = width - left - right, height - top - bottom

    def px(v: float) -> float:
        return left + pw * v / xmax

    def py(v: float) -> float:
        return top + ph * (1 - (v - ymin) / (ymax - ymin))

    parts = _open(width, height, title)
    parts += _legend([(lab, c, "dot") for lab, c in (legend or [("feature (hover for its name)", _BLUE)])], left, 32)
    parts += _left_axis(yt, py, left, left + pw, ylabel, top, top + ph)
    parts += _bottom_axis([(d, _decade(d)) for d in range(xmax + 1)], px, top + ph, left, left + pw, xlabel,
                          height - 6, grid_top=top)
    if ymin < 0 < ymax:
        parts.append(f'<line x1="{left}" y1="{py(0):.1f}" x2="{left + pw}" y2="{py(0):.1f}" stroke="#aaa" '
                     'stroke-dasharray="4 3"/>')
    for i, (x, y, n) in enumerate(zip(lx, ys, names)):
        c = colors[i] if colors else _BLUE
        tip = tips[i] if tips else f"{n}: {num(y)} at {num(int(round(10 ** x)))}"
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4.5" fill="{c}" fill-opacity="0.8" stroke="#fff" '
                     f'stroke-width="0.8"><title>{escape(tip)}</title></circle>')
    for i in sorted(range(len(ys)), key=lambda i: -ys[i])[:label_top]:
        x, y = px(lx[i]), py(ys[i])
        anchor, dx = ("end", -7) if x > left + pw * 0.85 else ("start", 7)
        parts.append(f'<text x="{x + dx:.1f}" y="{y + 3.5:.1f}" text-anchor="{anchor}" {_FONT} fill="#555">'
                     f'{escape(names[i])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _matrix_labels(names: list[str], left: float, top: float, cell: int) -> list[str]:
    """Row names on the left and slanted column names on top of a square matrix."""
    out = []
    for i, n in enumerate(names):
        out.append(f'<text x="{left - 4}" y="{top + i * cell + cell * 0.7:.1f}" text-anchor="end" {_FONT}>{escape(n)}</text>')
        x = left + i * cell + cell * 0.7
        out.append(f'<text x="{x:.1f}" y="{top - 4}" transform="rotate(-60 {x:.1f} {top - 4})" {_FONT}>{escape(n)}</text>')
    return out


def _diverging(v: float, vmax: float) -> str:
    """White at 0, blue for positive and red for negative values, full at ``vmax``."""
    a = min(1.0, abs(v) / vmax)
    return f"rgba(40,90,200,{a:.3f})" if v >= 0 else f"rgba(200,50,40,{a:.3f})"


def heat_map(names: list[str], matrix: list[list[float | None]], *, title: str, cell: int = 24,
             legend_label: str = "value") -> str:
    """Symmetric matrix as coloured cells (blue positive, red negative, grey not scored), with
    a colour scale."""
    k = len(names)
    left = min(200, 14 + 6.6 * max((len(s) for s in names), default=4))
    top = 34 + min(140, 6 * max((len(s) for s in names), default=4))
    vmax = max([abs(v) for row in matrix for v in row if v is not None] + [1e-12])
    scale_x = left + cell * k + 40
    width = int(scale_x + 150)
    height = int(max(top + cell * k, top + 190) + 12)
    parts = _open(width, height, title)
    parts += _matrix_labels(names, left, top, cell)
    for i in range(k):
        for j in range(k):
            v = matrix[i][j]
            fill = "#eee" if v is None else _diverging(v, vmax)
            tip = f"{names[i]} \u00d7 {names[j]}: {num(v)}" if v is not None else f"{names[i]} \u00d7 {names[j]}: not scored"
            parts.append(f'<rect x="{left + j * cell:.1f}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                         f'fill="{fill}"><title>{escape(tip)}</title></rect>')
    # The colour scale: a vertical gradient from +vmax (top) through 0 to -vmax.
    h = 150
    parts.append('<defs><linearGradient id="hm-scale" x1="0" y1="0" x2="0" y2="1">'
                 '<stop offset="0" stop-color="rgb(40,90,200)"/><stop offset="0.5" stop-color="#fff"/>'
                 '<stop offset="1" stop-color="rgb(200,50,40)"/></linearGradient></defs>')
    parts.append(f'<text x="{scale_x}" y="{top - 8}" {_FONT}>{escape(legend_label)}</text>')
    parts.append(f'<rect x="{scale_x}" y="{top}" width="14" height="{h}" fill="url(#hm-scale)" stroke="#bbb" stroke-width="0.5"/>')
    for frac, v in ((0.0, vmax), (0.25, vmax / 2), (0.5, 0.0), (0.75, -vmax / 2), (1.0, -vmax)):
        y = top + h * frac
        parts.append(f'<line x1="{scale_x + 14}" y1="{y:.1f}" x2="{scale_x + 18}" y2="{y:.1f}" {_AXIS}/>')
        parts.append(f'<text x="{scale_x + 21}" y="{y + 3.5:.1f}" {_FONT}>{num(v)}</text>')
    parts.append(f'<rect x="{scale_x}" y="{top + h + 12}" width="14" height="12" fill="#eee" stroke="#bbb" stroke-width="0.5"/>'
                 f'<text x="{scale_x + 21}" y="{top + h + 22}" {_FONT}>not scored</text>')
    parts.append("</svg>")
    return "".join(parts)


def history_chart(xs: list[int], ys: list[float], *, title: str, ylabel: str,
                  pruned: list[int] | None = None, xlabel: str = "trial", width: int = 960, height: int = 300) -> str:
    """Trial values as points with the best-so-far (maximum) as a step line; pruned trials
    as grey ticks on the x axis."""
    left, bottom, top, right = 66, 44, 44, 24
    pw, ph = width - left - right, height - top - bottom
    xmin = min(xs + (pruned or []) + [0])  # -1: a retrain's starting weights
    xmax = max(xs + (pruned or []) + [xmin + 1])
    yt = nice_ticks(min(ys), max(ys), 5) if ys else [0.0, 1.0]
    ymin, ymax = yt[0], yt[-1]

    def px(v: float) -> float:
        return left + pw * (v - xmin) / (xmax - xmin)

    def py(v: float) -> float:
        return top + ph * (1 - (v - ymin) / (ymax - ymin))

    unit = xlabel.split()[0]
    parts = _open(width, height, title)
    legend = [(f"{unit} value", _BLUE, "dot"), ("best so far", _RED, "line")]
    if pruned:
        legend.append(("pruned trial", _GREY, "tick"))
    parts += _legend(legend, left, 32)
    parts += _left_axis(yt, py, left, left + pw, ylabel, top, top + ph)
    xt = [int(t) for t in nice_ticks(xmin, xmax, 8) if xmin <= t <= xmax and float(t).is_integer()]
    parts += _bottom_axis([(x, str(x)) for x in sorted(set(xt + [xmin, xmax]))], px, top + ph, left, left + pw,
                          xlabel, height - 6)
    best, path = float("-inf"), []
    for x, y in sorted(zip(xs, ys)):
        if y > best:
            if path:
                path.append(f"L{px(x):.1f},{py(best):.1f}")
            best = y
            path.append(f"{'M' if not path else 'L'}{px(x):.1f},{py(best):.1f}")
    if path:
        path.append(f"L{px(xmax):.1f},{py(best):.1f}")
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{_RED}" stroke-width="1.5"/>')
    for x, y in zip(xs, ys):
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{_BLUE}"><title>{escape(unit)} {x}: {y:.5g}</title></circle>')
    for x in pruned or []:
        parts.append(f'<line x1="{px(x):.1f}" y1="{top + ph - 7}" x2="{px(x):.1f}" y2="{top + ph}" stroke="{_GREY}" '
                     f'stroke-width="1.5"><title>trial {x}: pruned</title></line>')
    parts.append("</svg>")
    return "".join(parts)


def histograms(edges: list[float], rows: list[list[int]], *, title: str, row_labels: list[str],
               threshold: float | None = 0.0, xlabel: str = "value", width: int = 960, row_height: int = 78) -> str:
    """One small histogram per row (e.g. per epoch) on a shared x axis, counts on a log scale
    with their own y axis per row; the x range is cut to the occupied bins (and the
    ``threshold``, marked with a dashed line: bins right of it in blue, left in red)."""
    nb = len(edges) - 1
    used = [b for b in range(nb) if any(r[b] for r in rows)] or [0, nb - 1]
    first, last = used[0], used[-1]
    if threshold is not None:
        t_bin = max(0, min(nb - 1, next((b for b in range(nb) if edges[b + 1] > threshold), nb - 1)))
        first, last = min(first, t_bin), max(last, t_bin)
    first, last = max(0, first - 1), min(nb - 1, last + 1)
    lo, hi = edges[first], edges[last + 1]
    left, right, top = 124, 24, 44
    pw = width - left - right
    height = top + row_height * len(rows) + 40
    peak = max([c for r in rows for c in r] + [1])
    decades = list(range(int(math.log10(peak)) + 1))
    lpeak = math.log1p(peak)

    def px(v: float) -> float:
        return left + pw * (v - lo) / (hi - lo)

    parts = _open(width, height, title)
    legend = [("kept (right of the threshold)", _BLUE, "rect"), ("closed", _RED, "rect")]
    if threshold is not None:
        legend.append((f"threshold m = {num(threshold)}", "#333", "dash"))
    parts += _legend(legend, left, 32)
    inner = row_height - 14
    for i, (lab, counts) in enumerate(zip(row_labels, rows)):
        base = top + 8 + (i + 1) * row_height - 14

        def py(c: float, base: float = base) -> float:
            return base - inner * math.log1p(c) / lpeak

        parts.append(f'<text x="{left - 44}" y="{base - inner / 2 + 4:.1f}" text-anchor="end" {_FONT} '
                     f'font-weight="600">{escape(lab)}</text>')
        step = max(1, math.ceil(len(decades) / 3))
        for d in decades[::step]:
            y = py(10 ** d)
            parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" {_GRID}/>')
            parts.append(f'<text x="{left - 5}" y="{y + 3.5:.1f}" text-anchor="end" {_FONT} font-size="10">'
                         f'{_decade(d)}</text>')
        parts.append(f'<line x1="{left}" y1="{base - inner}" x2="{left}" y2="{base}" {_AXIS}/>')
        parts.append(f'<line x1="{left}" y1="{base}" x2="{left + pw}" y2="{base}" {_AXIS}/>')
        for b in range(first, last + 1):
            c = counts[b]
            if not c:
                continue
            x0, x1 = px(edges[b]), px(edges[b + 1])
            kept = threshold is None or edges[b] >= threshold
            parts.append(f'<rect x="{x0 + 0.5:.1f}" y="{py(c):.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
                         f'height="{base - py(c):.1f}" fill="{_BLUE if kept else _RED}">'
                         f'<title>{escape(lab)}: [{num(edges[b])}, {num(edges[b + 1])}): {num(c)} values</title></rect>')
    axis = top + 8 + len(rows) * row_height - 14
    mid = (top + axis) / 2
    parts.append(f'<text x="13" y="{mid:.1f}" transform="rotate(-90 13 {mid:.1f})" text-anchor="middle" {_FONT}>'
                 'values (log scale)</text>')
    xt = [t for t in nice_ticks(lo, hi, 9) if lo <= t <= hi]
    parts += _bottom_axis([(t, num(t)) for t in xt], px, axis, left, left + pw, xlabel, height - 6)
    if threshold is not None:
        x = px(threshold)
        parts.append(f'<line x1="{x:.1f}" y1="{top + 2}" x2="{x:.1f}" y2="{axis}" stroke="#333" stroke-width="1.2" '
                     'stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "".join(parts)


def category_matrix(names: list[str], cells: dict[tuple[int, int], str], colors: dict[str, str], *,
                    title: str, cell: int = 24) -> str:
    """Symmetric matrix whose cells show a category (colour, with a legend); empty cells grey."""
    k = len(names)
    left = min(200, 14 + 6.6 * max((len(s) for s in names), default=4))
    top = 44 + min(140, 6 * max((len(s) for s in names), default=4))
    width = int(max(left + cell * k + 10, 420))
    height = top + cell * k + 12
    parts = _open(width, height, title)
    parts += _legend([(cat, color, "rect") for cat, color in colors.items()] + [("not searched", "#eee", "rect")], 4, 32)
    parts += _matrix_labels(names, left, top, cell)
    for i in range(k):
        for j in range(k):
            cat = cells.get((i, j)) or cells.get((j, i))
            fill = colors.get(cat, "#eee") if cat else "#eee"
            tip = f"{names[i]} \u00d7 {names[j]}: {cat}" if cat else ""
            parts.append(f'<rect x="{left + j * cell:.1f}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                         f'fill="{fill}"><title>{escape(tip)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars(labels: list[str], series: list[tuple[str, str, list[float | None]]], *, title: str,
                 xlabel: str, fmt=num, width: int = 960, lo: float = 0.0,
                 hi: float | None = None) -> str:  # type: ignore[no-untyped-def]
    """Horizontal bars, one group per label and one bar per series ``(name, colour, values)``
    (None: no bar), with an x axis from ``lo`` to ``hi`` (default: the largest value) and a
    legend of the series."""
    n = len(series)
    bar = 9
    row = bar * n + 8
    left = min(240, 14 + 6.6 * max((len(s) for s in labels), default=4))
    top = 44
    height = top + row * len(labels) + 44
    top_value = max([v for _, _, vs in series for v in vs if v is not None] + [1e-12])
    ticks = nice_ticks(lo, top_value if hi is None else hi, 6)
    t0, t1 = ticks[0], ticks[-1]
    plot_w = width - left - 70

    def px(v: float) -> float:
        return left + plot_w * (v - t0) / (t1 - t0)

    bottom = top + row * len(labels) + 2
    parts = _open(width, height, title)
    parts += _legend([(name, color, "rect") for name, color, _ in series], left, 32)
    parts += _bottom_axis([(t, fmt(t)) for t in ticks], px, bottom, left, px(t1), xlabel, height - 6, grid_top=top - 4)
    for i, lab in enumerate(labels):
        y = top + i * row
        parts.append(f'<text x="{left - 6}" y="{y + row / 2 + 3:.1f}" text-anchor="end" {_FONT}>{escape(lab)}</text>')
        for k, (name, color, values) in enumerate(series):
            v = values[i]
            if v is None:
                continue
            yb = y + 3 + k * bar
            w = max(px(v) - px(t0), 0.5)
            parts.append(f'<rect x="{px(t0):.1f}" y="{yb}" width="{w:.1f}" height="{bar - 1}" fill="{color}">'
                         f'<title>{escape(lab)}, {escape(name)}: {fmt(v)}</title></rect>')
            parts.append(f'<text x="{px(t0) + w + 4:.1f}" y="{yb + bar - 1.5}" {_FONT} font-size="9.5">{fmt(v)}</text>')
    parts.append(f'<line x1="{px(t0):.1f}" y1="{top - 4}" x2="{px(t0):.1f}" y2="{bottom}" {_AXIS}/>')
    parts.append("</svg>")
    return "".join(parts)
