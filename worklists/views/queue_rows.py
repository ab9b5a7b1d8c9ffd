"""The queue page's rows, rendered in Python.

A page shows 50 rows of about 35 values each. Through the template language that was
1,500 variable nodes, half of the page's server time (docs/performance.md); here it is
one format string per part of a row. Every value is escaped (`_fill`), as the template
language would.
The rest of the page (filters, counts, pager) stays in worklists/queue.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe


def _fill(markup: str, *values: Any) -> SafeString:
    """format_html without its lazy-string checks: values escaped unless already safe."""
    return mark_safe(
        markup.format(*(v if isinstance(v, SafeString) else escape(str(v)) for v in values))
    )


_GROUP = '<tr class="group g-{}"><th colspan="12" scope="rowgroup">{}</th></tr>\n'

_ROW = """<tr class="{}" data-item="{}" tabindex="0">
  <td class="due"><span class="visually-hidden">{} </span>{}{}</td>
  <td class="clip" title="{}"><span class="kind k-{}">{}</span>{}</td>
  <td class="mono">{}</td>
  <td class="clip wide" title="{}"><a href="{}" class="plink">{}</a></td>
  <td class="mono" title="{}">{}</td>
  <td class="clip" title="{}">{}</td>
  <td>{}</td>
  <td class="num">{}</td>
  <td class="clip narrow" title="{}">{}</td>
  <td>{}</td>
  <td class="num">{}d</td>
  <td class="actions"><span class="slot">{}</span>{}</td>
</tr>
"""

_LATE = mark_safe(
    ' <span class="badge overdue" title="Overdue: the due date has passed">late</span>'
)
_WAITING = mark_safe(' <span class="badge waiting">waiting on payer</span>')
_YOU = mark_safe("<b>you</b>")
_UNCLAIMED = mark_safe('<span class="muted">unclaimed</span>')

# A POST to an item action that refreshes the results in place (or, without htmx, posts).
_ACTION = (
    '<form method="post" action="{0}" hx-post="{0}" hx-target="#results" hx-swap="outerHTML"'
    ' class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="{1}">'
    '<input type="hidden" name="return_query" value="{2}">'
    '<button type="submit" class="{3}">{4}</button></form>'
)

# The colleagues are fetched when the menu opens: one list per page, not one per row.
_ASSIGN = (
    '<details class="assign" hx-get="{0}?{1}" hx-trigger="toggle once" hx-target="find .menu">'
    '<summary class="small quiet" title="Assign to a colleague">Assign…</summary>'
    '<div class="menu"><a href="{0}?{1}">choose a colleague…</a></div></details>'
)


def render_rows(
    rows: list[dict[str, Any]],
    *,
    can_work: bool,
    can_assign: bool,
    csrf_token: str,
    query: str,
    query_param: str,
) -> None:
    """Give each row of the page its markup, as row["html"]."""
    for row in rows:
        row["html"] = render_row(
            row,
            can_work=can_work,
            can_assign=can_assign,
            csrf_token=csrf_token,
            query=query,
            query_param=query_param,
        )


def render_row(
    row: Mapping[str, Any],
    *,
    can_work: bool,
    can_assign: bool,
    csrf_token: str,
    query: str,
    query_param: str,
) -> SafeString:
    """One item's row (and the queue's heading row before the first of its queue)."""
    classes = "row " + row["queue"]
    if row["overdue"]:
        classes += " overdue"
    if row["mine"]:
        classes += " mine"
    claimed = row["assignee_id"] is not None
    actions = ""
    if can_work and not claimed:
        actions = _fill(_ACTION, row["claim_url"], csrf_token, query, "small", "Claim")
    elif claimed and can_assign and (row["mine"] or not can_work):
        actions = _fill(_ACTION, row["release_url"], csrf_token, query, "small quiet", "Release")
    assign = _fill(_ASSIGN, row["assign_url"], query_param) if can_assign else ""
    if row["mine"]:
        assignee = _YOU
    elif claimed:
        assignee = row["assignee"]
    else:
        assignee = _UNCLAIMED
    html = _fill(
        _ROW,
        classes,
        row["pk"],
        row["queue_label"],
        row["due"],
        _LATE if row["overdue"] else "",
        row["kind_label"],
        row["kind"],
        row["kind_label"],
        _WAITING if row["waiting"] else "",
        row["mrn"],
        row["patient"],
        row["url"],
        row["patient"],
        row["category"],
        row["order"],
        row["payer"],
        row["payer"] or "—",
        row["first_visit"],
        row["visits"],
        row["department"],
        row["department"] or "—",
        assignee,
        row["age"],
        actions,
        assign,
    )
    if row["group_start"]:
        return _fill(_GROUP, row["queue"], row["queue_label"]) + html
    return html
