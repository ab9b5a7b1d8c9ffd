"""CSV written for spreadsheets: cells that a spreadsheet would run as formulas are quoted."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell as text; one that a spreadsheet would read as a formula gets a leading quote."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
