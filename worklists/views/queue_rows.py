"""The queue page's rows: one statement for a page's ids and rows, markup in Python.

A page shows 50 rows of about 35 values each. Through the template language that was
1,500 variable nodes, half of the page's server time (docs/performance.md); here each
row goes from the database's tuple to its markup in one format string, without a dict
in between. Every text from the database is escaped; labels are escaped once, at import.
The rest of the page (filters, counts, pager) stays in worklists/queue.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from patients.models import ServiceCategory
from worklists.models import (
    AT_ONCE_LATE,
    DUE_AT_ONCE,
    LATE,
    ItemKind,
    ItemStatus,
    Queue,
    due_standing,
    queue_key_of,
)
from worklists.paging import QueueKey

# The rows of one page: its ids (the ORM's query, `page`, nearest first) and their rows in
# one statement, a SELECT (the audit middleware tells writes by their first word). The
# payer is the patient's primary coverage on the day (as the scan picks it: rank 1, latest
# start, then highest id); the department is that of the order's next visit from today on;
# the age is in days since the item was made, in the practice's time zone. Parameters, in
# the order of the text: today, today, the start of today, the time zone, today, `page`'s.
ROWS_SQL = """
SELECT w.id, w.queue, w.kind, w.status, w.due_date, w.first_service_date,
       w.affected_appointments, w.assignee_id, u.username,
       o.patient_id, p.mrn, p.last_name, p.first_name, o.external_id, o.code,
       o.service_category,
       (SELECT py.name FROM patients_coverage c JOIN payers_payer py ON py.id = c.payer_id
        WHERE c.patient_id = o.patient_id AND c.rank = 1 AND c.start <= %s
          AND (c."end" IS NULL OR c."end" >= %s)
        ORDER BY c.start DESC, c.id DESC LIMIT 1),
       (SELECT a.department FROM patients_appointment a
        WHERE a.order_id = w.order_id AND a.start >= %s AND a.department <> ''
        ORDER BY a.start LIMIT 1),
       %s::date - (w.created_at AT TIME ZONE %s)::date, w.follow_up_on
FROM (SELECT id, row_number() OVER () AS n FROM ({page}) ids) page
JOIN worklists_workitem w ON w.id = page.id
JOIN patients_order o ON o.id = w.order_id
JOIN patients_patient p ON p.id = o.patient_id
LEFT JOIN auth_user u ON u.id = w.assignee_id
ORDER BY page.n
"""


def _escaped(choices: Sequence[tuple[str, Any]]) -> dict[str, str]:
    return {value: escape(str(label)) for value, label in choices}


QUEUE_LABELS = _escaped(Queue.choices)
KIND_LABELS = _escaped(ItemKind.choices)
# The Kind column's words: short enough to be read whole on a 1366-pixel screen (the full
# label is the cell's title).
KIND_SHORT = _escaped(
    [
        (ItemKind.NO_COVERAGE, "No coverage"),
        (ItemKind.UNKNOWN_RULE, "Unknown rule"),
        (ItemKind.MISSING_AUTH, "Missing auth"),
        (ItemKind.AUTH_EXPIRING, "Auth expiring"),
        (ItemKind.VISIT_LIMIT, "Visit limit"),
        (ItemKind.DENIED, "Denied"),
        (ItemKind.PENDING_FOLLOW_UP, "Follow-up due"),
    ]
)
CATEGORY_LABELS = _escaped(ServiceCategory.choices)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(value: dt.date | None) -> str:
    """'Nov 5', as the date filter "M j" prints it (without a strftime per cell)."""
    return f"{MONTHS[value.month - 1]} {value.day}" if value else "—"


def url_maker(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for every row of a page at the cost of one reverse()."""
    marker = 918273645
    head, _, tail = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What the rest of the page needs of a row: its place, its patient, its markup."""

    pk: int
    key: QueueKey
    patient_id: int
    html: SafeString


_GROUP = '<tr class="group g-{}"><th colspan="12" scope="rowgroup">{}</th></tr>\n'

_ROW = """<tr class="{classes}" data-item="{pk}" tabindex="0">
  <td class="due"><span class="visually-hidden">{queue} </span>{due}{late}</td>
  <td class="kind-cell" title="{kind_label}"><span class="kind k-{kind}">{kind_short}</span>{waiting}</td>
  <td class="mono">{mrn}</td>
  <td class="clip wide" title="{patient}"><a href="{url}" class="plink">{patient}</a></td>
  <td class="mono" title="{category}">{order}</td>
  <td class="clip" title="{payer}">{payer_text}</td>
  <td>{first}</td>
  <td class="num">{visits}</td>
  <td class="clip narrow" title="{dept}">{dept_text}</td>
  <td>{assignee}</td>
  <td class="num">{age}d</td>
  <td class="actions"><span class="slot">{actions}</span>{assign}</td>
</tr>
"""

_LATE = (
    ' <span class="badge overdue" title="Late: the day it had to be worked has passed">late</span>'
)
# Found after its due date (worklists.models.due_standing): the original due date on hover.
_AT_ONCE = (
    '<span class="at-once" title="Due {due}, before it was found on {found}">'
    '<span class="visually-hidden">due </span>at once</span> <small class="since">since {found}</small>'
)
_WAITING = ' <span class="badge waiting" title="Waiting on the payer">waiting</span>'
# Back from its follow-up date (a snoozed item is not on the page before that day).
_FOLLOW_UP = (
    ' <span class="badge followup" title="Back from its follow-up date, {0}: sorted by it">'
    "follow-up {0}</span>"
)
_YOU = "<b>you</b>"
_UNCLAIMED = '<span class="muted">unclaimed</span>'

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


class RowMarkup:
    """Turns the statement's rows into QueueRows for one person's page."""

    def __init__(
        self,
        *,
        today: dt.date,
        me: int | None,
        can_work: bool,
        can_assign: bool,
        can_reassign: bool = False,
        csrf_token: str,
        query: str,
        query_param: str,
        back: str = "",
    ) -> None:
        self.today, self.me = today, me
        self.can_work, self.can_assign = can_work, can_assign
        # A colleague's claimed item may be released or reassigned only by a manager.
        self.can_reassign = can_reassign
        # The same on every row: escaped once for the page.
        self.csrf_token, self.query = escape(csrf_token), escape(query)
        self.query_param = escape(query_param)
        # The item links carry the queue's filters, for the item page's "← Queues".
        self.back = f"?{escape(back)}" if back else ""
        self.item_url, self.claim_url, self.release_url, self.assign_url = (
            url_maker(f"worklists:{name}") for name in ("item", "claim", "release", "assign-menu")
        )

    def rows(self, records: Sequence[Sequence[Any]]) -> list[QueueRow]:
        out, previous_queue = [], None
        for record in records:
            out.append(self.row(record, group_start=record[1] != previous_queue))
            previous_queue = record[1]
        return out

    def row(self, record: Sequence[Any], *, group_start: bool) -> QueueRow:
        (pk, queue, kind, status, due, first, visits, assignee_id, username, patient_id, mrn,
         last, first_name, external_id, code, category, payer, dept, age,
         follow_up) = record  # fmt: skip
        found = self.today - dt.timedelta(days=age)
        standing = due_standing(due, found, self.today)
        overdue = standing in (LATE, AT_ONCE_LATE)
        mine = assignee_id is not None and assignee_id == self.me
        claimed = assignee_id is not None
        classes = "row " + escape(queue)
        if overdue:
            classes += " overdue"
        if standing in (DUE_AT_ONCE, AT_ONCE_LATE):
            classes += " at-once"
            due_text = _AT_ONCE.format(due=day_text(due), found=day_text(found))
        else:
            due_text = day_text(due)
        if mine:
            classes += " mine"
        actions = ""
        if self.can_work and not claimed:
            actions = _ACTION.format(
                self.claim_url(pk), self.csrf_token, self.query, "small", "Claim"
            )
        elif claimed and self.can_assign and (mine or self.can_reassign):
            actions = _ACTION.format(
                self.release_url(pk), self.csrf_token, self.query, "small quiet", "Release"
            )
        may_assign = self.can_assign and (not claimed or mine or self.can_reassign)
        assign = _ASSIGN.format(self.assign_url(pk), self.query_param) if may_assign else ""
        if mine:
            assignee = _YOU
        elif claimed:
            assignee = escape(username)
        else:
            assignee = _UNCLAIMED
        queue_label = QUEUE_LABELS.get(queue) or escape(queue)
        kind_label = KIND_LABELS.get(kind) or escape(kind)
        kind_short = KIND_SHORT.get(kind) or kind_label
        patient = escape(f"{last}, {first_name}")
        payer = escape(payer or "")
        dept = escape(dept or "")
        html = _ROW.format(
            classes=classes,
            pk=pk,
            queue=queue_label,
            due=due_text,
            late=(_LATE if overdue else "")
            + (_FOLLOW_UP.format(day_text(follow_up)) if follow_up else ""),
            kind_label=kind_label,
            kind_short=kind_short,
            kind=escape(kind),
            waiting=_WAITING if status == ItemStatus.WAITING_ON_PAYER else "",
            mrn=escape(mrn),
            patient=patient,
            url=self.item_url(pk) + self.back,
            category=CATEGORY_LABELS.get(category) or escape(category),
            order=escape(f"{external_id} · {code}"),
            payer=payer,
            payer_text=payer or "—",
            first=day_text(first),
            visits=visits,
            dept=dept,
            dept_text=dept or "—",
            assignee=assignee,
            age=age,
            actions=actions,
            assign=assign,
        )
        if group_start:
            html = _GROUP.format(escape(queue), queue_label) + html
        key = queue_key_of(queue, due, first, pk, follow_up)
        return QueueRow(pk, key, patient_id, mark_safe(html))  # noqa: S308 (escaped above)
