"""Small server-side SVG charts for the managers' dashboard.

No script and no inline style: shapes carry classes (styled in static/css/app.css,
"Managers' dashboard" section) and SVG presentation attributes. Every label is escaped.
Each chart has a <title> and the table beside it holds the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reports.figures import EXPEDITED_CLOCK_HOURS, STANDARD_CLOCK_HOURS


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    note: str = ""  # shown after the bar, e.g. "412 requests"
    css: str = ""  # an extra class for this bar (e.g. "warn")


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def hbars(
    title: str,
    bars: Sequence[Bar],
    *,
    unit: str = "",
    maximum: float | None = None,
    reference: tuple[float, str] | None = None,
    label_width: int = 190,
) -> SafeString:
    """Horizontal bars, one per row, the value printed at the bar's end."""
    row_h, width, pad = 22, 640, 8
    plot_w = width - label_width - 150
    top = 4
    height = top + row_h * max(len(bars), 1) + (18 if reference else 6)
    values = [b.value for b in bars if b.value is not None]
    peak = maximum or max(values + [reference[0] if reference else 0, 1])
    parts = [
        f'<svg class="chart hbars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    if not bars:
        parts.append(f'<text x="{pad}" y="18" class="empty">No data for these filters</text>')
    for i, bar in enumerate(bars):
        y = top + i * row_h
        fit = int(label_width / 7.2)
        label = bar.label if len(bar.label) <= fit else bar.label[: fit - 1] + "…"
        parts.append(
            f'<text x="{label_width - pad}" y="{y + 15}" class="label" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(label)}</text>"
        )
        if bar.value is None:
            parts.append(f'<text x="{label_width}" y="{y + 15}" class="na">—</text>')
            continue
        w = max(plot_w * bar.value / peak, 1.5) if bar.value else 0
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
            f'class="bar {escape(bar.css)}"><title>{escape(bar.label)}: '
            f"{_num(bar.value)}{escape(unit)}</title></rect>"
        )
        text = f"{_num(bar.value)}{unit}" + (f" · {bar.note}" if bar.note else "")
        parts.append(
            f'<text x="{label_width + w + 5:.1f}" y="{y + 15}" class="value">{escape(text)}</text>'
        )
    if reference and bars:
        x = label_width + plot_w * reference[0] / peak
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 14}" class="ref"/>'
            f'<text x="{x:.1f}" y="{height - 3}" class="ref-label" text-anchor="middle">'
            f"{escape(reference[1])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def stacked_columns(
    title: str,
    columns: Sequence[tuple[str, Sequence[tuple[str, int]]]],
    *,
    series: Sequence[tuple[str, str]],
) -> SafeString:
    """Vertical columns stacked by series (key, css class): the aging histogram."""
    width, height, left, bottom, top = 640, 220, 44, 34, 14
    plot_h = height - bottom - top
    n = max(len(columns), 1)
    slot = (width - left - 10) / n
    col_w = slot * 0.6
    totals = [sum(v for _k, v in parts) for _label, parts in columns]
    peak = max(totals + [1])
    parts = [
        f'<svg class="chart columns" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" x2="{width - 10}" y1="{height - bottom}" y2="{height - bottom}" '
        'class="axis"/>',
    ]
    css = dict(series)
    for i, (label, stack) in enumerate(columns):
        x = left + i * slot + (slot - col_w) / 2
        y: float = height - bottom
        for key, value in stack:
            h = plot_h * value / peak
            y -= h
            if value:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
                    f'class="bar {css.get(key, "")}"><title>{escape(label)}, {escape(key)}: '
                    f"{value}</title></rect>"
                )
        parts.append(
            f'<text x="{x + col_w / 2:.1f}" y="{y - 4:.1f}" class="value" '
            f'text-anchor="middle">{totals[i]}</text>'
            f'<text x="{x + col_w / 2:.1f}" y="{height - bottom + 16}" class="label" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    legend_x = left
    for key, klass in series:
        parts.append(
            f'<rect x="{legend_x}" y="{height - 12}" width="10" height="10" class="bar {klass}"/>'
            f'<text x="{legend_x + 14}" y="{height - 3}" class="label">{escape(key)}</text>'
        )
        legend_x += 90
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def lines(
    title: str,
    xs: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    unit: str = "",
    references: Sequence[tuple[float, str]] = (),
) -> SafeString:
    """A line per series (name, css class, values by x), dashed reference lines (clocks)."""
    width, height, left, bottom, top, right = 640, 240, 48, 38, 12, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _n, _c, vs in series for v in vs if v is not None]
    peak = max(values + [r[0] for r in references] + [1]) * 1.08
    step = plot_w / max(len(xs) - 1, 1)

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    parts = [
        f'<svg class="chart lines" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'class="axis"/>',
    ]
    for tick in _ticks(peak):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="label" text-anchor="end">'
            f"{_num(tick)}{escape(unit)}</text>"
        )
    for value, label in references:
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="ref"/>'
            f'<text x="{left + plot_w + 4}" y="{y + 4:.1f}" class="ref-label">{escape(label)}</text>'
        )
    every = 1 + len(xs) // 8
    for i, x_label in enumerate(xs):
        if i % every == 0 or i == len(xs) - 1:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{top + plot_h + 16}" class="label" '
                f'text-anchor="middle">{escape(x_label)}</text>'
            )
    if not xs:
        parts.append(
            f'<text x="{left + 8}" y="{top + 20}" class="empty">No data for these filters</text>'
        )
    for name, klass, vs in series:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{left + i * step:.1f},{y_of(v):.1f}")
            parts.append(
                f'<circle cx="{left + i * step:.1f}" cy="{y_of(v):.1f}" r="2.5" '
                f'class="dot {klass}"><title>{escape(name)}, {escape(xs[i])}: '
                f"{_num(v)}{escape(unit)}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" class="line {klass}"/>')
    legend_x = left
    for name, klass, _vs in series:
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 16}" y1="{height - 6}" y2="{height - 6}" '
            f'class="line {klass}"/><text x="{legend_x + 20}" y="{height - 2}" class="label">'
            f"{escape(name)}</text>"
        )
        legend_x += 150
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _ticks(peak: float) -> list[float]:
    for step in (1, 2, 5, 10, 12, 24, 48, 72, 168, 336, 720):
        if peak / step <= 6:
            return [step * i for i in range(1, int(peak / step) + 1)]
    return []


def for_board(board: Any) -> dict[str, SafeString]:
    """Every chart of the dashboard, from the figures already computed."""
    trend = board.trend
    weeks = [row["week"].strftime("%b %-d") for row in trend]
    payers = board.payers[:12]
    return {
        "trend": lines(
            "Median hours from request to decision, per week of submission",
            weeks,
            [
                ("Standard median", "std", [r["std_median"] for r in trend]),
                ("Expedited median", "exp", [r["exp_median"] for r in trend]),
            ],
            unit="h",
            references=[
                (STANDARD_CLOCK_HOURS, "7-day clock"),
                (EXPEDITED_CLOCK_HOURS, "72 h clock"),
            ],
        ),
        "payers": hbars(
            "Share decided within the CMS-0057-F clock, by payer (busiest 12)",
            [
                Bar(
                    r["payer"],
                    r["pct_within_clock"],
                    f"{r['decided']} decided",
                    "warn" if (r["pct_within_clock"] or 0) < 80 else "",
                )
                for r in payers
            ],
            unit="%",
            maximum=100,
            reference=(80, "80%"),
        ),
        "outcomes": hbars(
            "Outcomes of the decided requests",
            [
                Bar("Approved in full", board.summary[0]["pct_approved"], css="good"),
                Bar("Partial or modified", board.summary[0]["pct_partial"]),
                Bar("Denied", board.summary[0]["pct_denied"], css="bad"),
                Bar("Approved after appeal", board.summary[0]["pct_after_appeal"]),
                Bar("Decided past the clock", board.summary[0]["pct_extended"], css="warn"),
            ],
            unit="%",
            maximum=100,
        ),
        "reasons": hbars(
            "Top denial reasons",
            [Bar(r["reason"], r["n"]) for r in board.reasons],
            label_width=300,
        ),
        "aging": stacked_columns(
            "Open items by age",
            [(r["bucket"], [("STAT", r["stat"]), ("Routine", r["routine"])]) for r in board.aging],
            series=[("STAT", "stat"), ("Routine", "routine")],
        ),
        "risk": hbars(
            "Booked visits with a gap in the next 30 days, by department",
            [
                Bar(r["group"], r["d30"], f"{r['d7']} in 7 d", "bad")
                for r in board.risk_departments[:12]
            ],
        ),
        "overdue": hbars(
            "Requests pending past the clock now, by payer",
            [Bar(r["payer"], r["n"], css="bad") for r in board.overdue_payers[:12]],
        ),
        "people": hbars(
            "Items resolved per person in the range",
            [
                Bar(r["person"], r["resolved"], f"{r['actions']} actions")
                for r in board.productivity_totals[:12]
            ],
        ),
    }
