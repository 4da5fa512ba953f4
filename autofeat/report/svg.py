"""Tiny inline-SVG charts for self-contained HTML reports (no plotting library at run time)."""

from __future__ import annotations

import math
from html import escape

__all__ = ["bar_chart", "scatter_log_x", "heat_map", "history_chart", "histograms", "category_matrix"]

_FONT = 'font-family="sans-serif" font-size="11"'


def bar_chart(labels: list[str], values: list[float], *, title: str, colors: list[str] | None = None,
              extra: list[float] | None = None, extra_color: str = "#9cc3e6", width: int = 720) -> str:
    """Horizontal bars, one per label, with the value printed at the bar's end; ``extra``
    (non-negative) is stacked after each positive bar in ``extra_color``."""
    row = 18
    if extra:
        values = list(values)
        tops = [max(v, 0.0) + e for v, e in zip(values, extra)]
    else:
        tops = values
    left = min(240, 12 + 7 * max((len(s) for s in labels), default=4))
    height = 30 + row * len(labels)
    vmax = max([v for v in tops if v > 0] + [1e-12])
    vmin = min([v for v in values if v < 0] + [0.0])
    span = vmax - vmin
    plot_w = width - left - (150 if extra else 90)  # room for the value labels
    zero = left + plot_w * (-vmin / span)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>']
    for i, (lab, v) in enumerate(zip(labels, values)):
        y = 24 + i * row
        x0 = zero if v >= 0 else zero - plot_w * (-v / span)
        w = plot_w * abs(v) / span
        color = colors[i] if colors else "#4878a8"
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" {_FONT}>{escape(lab)}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(w, 0.5):.1f}" height="{row - 5}" fill="{color}"/>')
        end = max(x0 + w, zero)
        label = f"{v:.4g}"
        if extra and extra[i] > 0:
            we = plot_w * extra[i] / span
            parts.append(f'<rect x="{end:.1f}" y="{y + 2}" width="{we:.1f}" height="{row - 5}" fill="{extra_color}"/>')
            end += we
            label += f" + {extra[i]:.3g}"
        parts.append(f'<text x="{end + 4:.1f}" y="{y + 12}" {_FONT}>{label}</text>')
    parts.append(f'<line x1="{zero:.1f}" y1="22" x2="{zero:.1f}" y2="{height - 4}" stroke="#888"/>')
    parts.append("</svg>")
    return "".join(parts)


def scatter_log_x(xs: list[float], ys: list[float], names: list[str], *, title: str, xlabel: str,
                  ylabel: str, colors: list[str] | None = None, width: int = 720, height: int = 360) -> str:
    """Points on a log10 x axis; hovering a point shows its name."""
    left, bottom, top, right = 60, 40, 24, 20
    lx = [math.log10(max(x, 1.0)) for x in xs]
    xmax = max(lx + [1.0])
    ymin = min(ys + [0.0])
    ymax = max(ys + [1e-12])
    pw, ph = width - left - right, height - top - bottom

    def px(v: float) -> float:
        return left + pw * v / xmax

    def py(v: float) -> float:
        return top + ph * (1 - (v - ymin) / (ymax - ymin or 1.0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
             f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#888"/>',
             f'<line x1="{left}" y1="{py(0):.1f}" x2="{left + pw}" y2="{py(0):.1f}" stroke="#ccc" stroke-dasharray="4"/>']
    for d in range(int(xmax) + 1):
        parts.append(f'<text x="{px(d):.1f}" y="{top + ph + 14}" text-anchor="middle" {_FONT}>1e{d}</text>')
    for v in (ymin, (ymin + ymax) / 2, ymax):
        parts.append(f'<text x="{left - 4}" y="{py(v) + 4:.1f}" text-anchor="end" {_FONT}>{v:.3g}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" {_FONT}>{escape(xlabel)}</text>')
    parts.append(f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" text-anchor="middle" {_FONT}>{escape(ylabel)}</text>')
    for i, (x, y, n) in enumerate(zip(lx, ys, names)):
        c = colors[i] if colors else "#4878a8"
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{c}" fill-opacity="0.75"><title>{escape(n)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _matrix_labels(names: list[str], left: int, top: int, cell: int) -> list[str]:
    """Row names on the left and slanted column names on top of a square matrix."""
    out = []
    for i, n in enumerate(names):
        out.append(f'<text x="{left - 4}" y="{top + i * cell + cell * 0.7:.1f}" text-anchor="end" {_FONT}>{escape(n)}</text>')
        x = left + i * cell + cell * 0.7
        out.append(f'<text x="{x:.1f}" y="{top - 4}" transform="rotate(-60 {x:.1f} {top - 4})" {_FONT}>{escape(n)}</text>')
    return out


def heat_map(names: list[str], matrix: list[list[float | None]], *, title: str, cell: int = 22) -> str:
    """Symmetric matrix as coloured cells (blue positive, red negative, grey missing)."""
    k = len(names)
    left = min(200, 12 + 7 * max((len(s) for s in names), default=4))
    top = left
    width, height = left + cell * k + 10, top + cell * k + 10
    vmax = max([abs(v) for row in matrix for v in row if v is not None] + [1e-12])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 16}" role="img">',
             f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>']
    parts += _matrix_labels(names, left, top, cell)
    for i in range(k):
        for j in range(k):
            v = matrix[i][j]
            if v is None:
                fill = "#eee"
            else:
                a = min(1.0, abs(v) / vmax)
                fill = f"rgba(40,90,200,{a:.3f})" if v >= 0 else f"rgba(200,50,40,{a:.3f})"
            tip = f"{names[i]} x {names[j]}: {v:.4g}" if v is not None else ""
            parts.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" fill="{fill}"><title>{escape(tip)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def history_chart(xs: list[int], ys: list[float], *, title: str, ylabel: str,
                  pruned: list[int] | None = None, xlabel: str = "trial", width: int = 720, height: int = 300) -> str:
    """Trial values as points with the best-so-far (maximum) as a step line; pruned trials
    as grey ticks on the x axis."""
    left, bottom, top, right = 60, 36, 24, 20
    pw, ph = width - left - right, height - top - bottom
    xmin = min(xs + (pruned or []) + [0])  # -1: a retrain's starting weights
    xmax = max(xs + (pruned or []) + [xmin + 1])
    ymin, ymax = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if ymax - ymin < 1e-9:
        ymin, ymax = ymin - 0.01, ymax + 0.01

    def px(v: float) -> float:
        return left + pw * (v - xmin) / (xmax - xmin)

    def py(v: float) -> float:
        return top + ph * (1 - (v - ymin) / (ymax - ymin))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>',
             f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#888"/>',
             f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" {_FONT}>{escape(xlabel)}</text>',
             f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" text-anchor="middle" {_FONT}>{escape(ylabel)}</text>']
    for v in (ymin, (ymin + ymax) / 2, ymax):
        parts.append(f'<text x="{left - 4}" y="{py(v) + 4:.1f}" text-anchor="end" {_FONT}>{v:.4g}</text>')
    for x in sorted(set([xmin, (xmin + xmax) // 2, xmax])):
        parts.append(f'<text x="{px(x):.1f}" y="{top + ph + 14}" text-anchor="middle" {_FONT}>{x}</text>')
    best, path = float("-inf"), []
    for x, y in sorted(zip(xs, ys)):
        if y > best:
            if path:
                path.append(f"L{px(x):.1f},{py(best):.1f}")
            best = y
            path.append(f"{'M' if not path else 'L'}{px(x):.1f},{py(best):.1f}")
    if path:
        path.append(f"L{px(xmax):.1f},{py(best):.1f}")
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="#c0504d" stroke-width="1.5"/>')
    for x, y in zip(xs, ys):
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="#4878a8"><title>{escape(xlabel.split()[0])} {x}: {y:.5g}</title></circle>')
    for x in pruned or []:
        parts.append(f'<line x1="{px(x):.1f}" y1="{top + ph - 6}" x2="{px(x):.1f}" y2="{top + ph}" stroke="#999"><title>trial {x}: pruned</title></line>')
    parts.append("</svg>")
    return "".join(parts)


def histograms(edges: list[float], rows: list[list[int]], *, title: str, row_labels: list[str],
               width: int = 720, row_height: int = 46) -> str:
    """One small histogram per row (e.g. per epoch) on a shared x axis (log-scaled counts)."""
    left, right = 70, 20
    pw = width - left - right
    nb = max(len(edges) - 1, 1)
    height = 30 + row_height * len(rows) + 18
    peak = max([math.log1p(c) for r in rows for c in r] + [1e-12])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>']
    for i, (lab, counts) in enumerate(zip(row_labels, rows)):
        base = 24 + (i + 1) * row_height - 4
        parts.append(f'<text x="{left - 6}" y="{base - 4}" text-anchor="end" {_FONT}>{escape(lab)}</text>')
        for b, c in enumerate(counts):
            h = (row_height - 8) * math.log1p(c) / peak
            color = "#4878a8" if edges[b] >= 0 else "#c0504d"
            parts.append(f'<rect x="{left + pw * b / nb:.1f}" y="{base - h:.1f}" width="{pw / nb - 1:.1f}" '
                         f'height="{h:.1f}" fill="{color}"><title>[{edges[b]:.2g}, {edges[b + 1]:.2g}): {c}</title></rect>')
    axis = 24 + len(rows) * row_height + 12
    for v in (edges[0], 0.0, edges[-1]):
        x = left + pw * (v - edges[0]) / (edges[-1] - edges[0])
        parts.append(f'<text x="{x:.1f}" y="{axis}" text-anchor="middle" {_FONT}>{v:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def category_matrix(names: list[str], cells: dict[tuple[int, int], str], colors: dict[str, str], *,
                    title: str, cell: int = 22) -> str:
    """Symmetric matrix whose cells show a category (colour, with a legend); empty cells grey."""
    k = len(names)
    left = min(200, 12 + 7 * max((len(s) for s in names), default=4))
    top = left
    width = max(left + cell * k + 10, 360)
    height = top + cell * k + 34
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>']
    for n, (cat, color) in enumerate(colors.items()):
        parts.append(f'<rect x="{4 + n * 110}" y="22" width="12" height="12" fill="{color}"/>'
                     f'<text x="{20 + n * 110}" y="32" {_FONT}>{escape(cat)}</text>')
    parts += _matrix_labels(names, left, top, cell)
    for i in range(k):
        for j in range(k):
            cat = cells.get((i, j)) or cells.get((j, i))
            fill = colors.get(cat, "#eee") if cat else "#eee"
            tip = f"{names[i]} x {names[j]}: {cat}" if cat else ""
            parts.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                         f'fill="{fill}"><title>{escape(tip)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)
