"""The dashboard's tables as CSV files: which tables, their columns, and the cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from authq.lib.spreadsheets import csv_cell
from reports.figures import Dashboard

# Each exportable table: its rows attribute and its columns (key, heading).
TABLES: dict[str, tuple[str, Sequence[tuple[str, str]]]] = {
    "turnaround": (
        "summary",
        (
            ("label", "Requests"),
            ("requests", "Submitted"),
            ("decided", "Decided"),
            ("mean", "Mean hours"),
            ("median", "Median hours"),
            ("p90", "90th percentile hours"),
            ("pct_within_clock", "% within clock"),
            ("pct_approved", "% approved in full"),
            ("pct_partial", "% partial or modified"),
            ("pct_denied", "% denied"),
            ("pct_after_appeal", "% approved after appeal"),
            ("pct_pended_past_clock", "% pended past the clock"),
        ),
    ),
    "trend": (
        "trend",
        (
            ("week", "Week of"),
            ("std_requests", "Standard requests"),
            ("std_median", "Standard median hours"),
            ("std_within", "Standard % within clock"),
            ("exp_requests", "Expedited requests"),
            ("exp_median", "Expedited median hours"),
            ("exp_within", "Expedited % within clock"),
        ),
    ),
    "payers": (
        "payers",
        (
            ("payer", "Payer"),
            ("requests", "Requests"),
            ("decided", "Decided"),
            ("median", "Median hours"),
            ("pct_within_clock", "% within clock"),
            ("pct_denied", "% denied"),
            ("pending", "Pending"),
        ),
    ),
    "scorecard": (
        "scorecard",
        (
            ("payer", "Payer"),
            ("kind", "Type"),
            ("requests", "Requests"),
            ("decided", "Decided"),
            ("pct_any_approval", "% approved"),
            ("pct_denied", "% denied"),
            ("pct_after_appeal", "% approved after appeal"),
            ("pct_extended", "% extended timeframe"),
            ("mean", "Mean hours"),
            ("median", "Median hours"),
        ),
    ),
    "categories": (
        "categories",
        (
            ("category", "Service"),
            ("requests", "Requests"),
            ("decided", "Decided"),
            ("median", "Median hours"),
            ("p90", "90th percentile hours"),
            ("pct_within_clock", "% within clock"),
            ("pct_denied", "% denied"),
        ),
    ),
    "denials": ("reasons", (("reason", "Denial reason"), ("n", "Denied"))),
    "denials_by_payer": (
        "reasons_by_payer",
        (("payer", "Payer"), ("reason", "Denial reason"), ("n", "Denied")),
    ),
    "denials_by_service": (
        "reasons_by_category",
        (("category", "Service"), ("reason", "Denial reason"), ("n", "Denied")),
    ),
    "overdue_payers": (
        "overdue_payers",
        (
            ("payer", "Payer"),
            ("n", "Past the clock"),
            ("expedited", "Of them expedited"),
            ("oldest_hours", "Oldest (hours)"),
        ),
    ),
    "aging": (
        "aging",
        (
            ("bucket", "Age"),
            ("stat", "STAT"),
            ("routine", "Routine"),
            ("total", "Open"),
            ("overdue", "Overdue"),
        ),
    ),
    "kinds": (
        "kinds",
        (
            ("queue_label", "Queue"),
            ("kind_label", "Kind"),
            ("n", "Open"),
            ("overdue", "Overdue"),
            ("unclaimed", "Unclaimed"),
        ),
    ),
    "risk_departments": (
        "risk_departments",
        (
            ("group", "Department"),
            ("d7", "Next 7 days"),
            ("d14", "Next 14 days"),
            ("d30", "Next 30 days"),
        ),
    ),
    "risk_payers": (
        "risk_payers",
        (
            ("group", "Payer"),
            ("d7", "Next 7 days"),
            ("d14", "Next 14 days"),
            ("d30", "Next 30 days"),
        ),
    ),
    "productivity": (
        "productivity",
        (
            ("period", "Period"),
            ("person", "Person"),
            ("resolved", "Items resolved"),
            ("actions", "Actions"),
            ("submissions", "First submissions"),
            ("median_to_submit", "Median hours, item to submission"),
        ),
    ),
}


def to_csv(board: Dashboard, table: str) -> str:
    attr, columns = TABLES[table]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading for _key, heading in columns])
    for row in getattr(board, attr):
        writer.writerow([csv_cell(row.get(key)) for key, _heading in columns])
    return out.getvalue()
