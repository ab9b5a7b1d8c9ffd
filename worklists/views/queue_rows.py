"""The queue page's rows: one statement for a page's ids and rows, one Jinja2 template.

A page shows 50 rows of about 35 values each. Through Django's template language that was
1,500 variable nodes, half of the page's server time (docs/performance.md). Here each row
goes from the database's tuple to a small `QueueRow` of the values it shows, and the rows'
markup is the template worklists/_queue_rows.jinja, rendered by a Jinja2 environment of
its own (autoescaping; escaped quotes spelt as Django spells them, so the rows read as
the rest of the page). The rest of the page (filters, counts, pager) stays in
worklists/queue.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
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

QUEUE_LABELS = dict(Queue.choices)
KIND_LABELS = dict(ItemKind.choices)
# The Kind column's words: short enough to be read whole on a 1366-pixel screen (the full
# label is the cell's title).
KIND_SHORT = {
    ItemKind.NO_COVERAGE: "No coverage",
    ItemKind.UNKNOWN_RULE: "Unknown rule",
    ItemKind.MISSING_AUTH: "Missing auth",
    ItemKind.AUTH_EXPIRING: "Auth expiring",
    ItemKind.VISIT_LIMIT: "Visit limit",
    ItemKind.DENIED: "Denied",
    ItemKind.PENDING_FOLLOW_UP: "Follow-up due",
    ItemKind.CLAIM_DENIED_AUTH: "Claim denied",
}
CATEGORY_LABELS = dict(ServiceCategory.choices)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(value: dt.date | None) -> str:
    """'Nov 5', as the date filter "M j" prints it (without a strftime per cell)."""
    return f"{MONTHS[value.month - 1]} {value.day}" if value else "—"


def url_maker(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for every row of a page at the cost of one reverse()."""
    marker = 918273645
    head, _, tail = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


ROWS_TEMPLATE = "worklists/_queue_rows.jinja"
_rows_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
)
# Jinja2 (markupsafe) writes an escaped ' and " as &#39; and &#34;; Django's escaping, the
# rest of the page's, as &#x27; and &quot;. After escaping, "&#39;" or "&#34;" can only
# stand for a ' or " a value held (a value's own "&" became "&amp;", and the template has
# neither), so spelling them as Django does changes nothing else.
_DJANGO_SPELLING = (("&#39;", "&#x27;"), ("&#34;", "&quot;"))


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One row of the page: its place and patient (for paging and the audit), and the
    values the template shows, as text (dates as the page prints them)."""

    pk: int
    key: QueueKey
    patient_id: int
    group_start: bool  # the first row of its queue on the page: a group header before it
    queue: str
    queue_label: str
    kind: str
    kind_label: str
    kind_short: str
    due: str
    found: str  # the day the item was found (for an item due at once)
    overdue: bool
    at_once: bool
    follow_up: str  # back from its follow-up date (a snoozed item is not on the page before)
    waiting: bool
    mine: bool
    assignee: str  # a colleague's username; "" when unclaimed or mine
    mrn: str
    patient: str
    url: str
    category: str
    order: str
    payer: str
    first: str
    visits: int
    dept: str
    age: int
    action: str  # "claim", "release" or ""
    action_url: str
    assign_url: str  # "" when this person may not assign the item


class RowMarkup:
    """Turns the statement's rows into QueueRows for one person's page, and renders them."""

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
        self.csrf_token, self.query, self.query_param = csrf_token, query, query_param
        # The item links carry the queue's filters, for the item page's "← Queues".
        self.back = f"?{back}" if back else ""
        self.item_url, self.claim_url, self.release_url, self.assign_url = (
            url_maker(f"worklists:{name}") for name in ("item", "claim", "release", "assign-menu")
        )

    def rows(self, records: Sequence[Sequence[Any]]) -> list[QueueRow]:
        out, previous_queue = [], None
        for record in records:
            out.append(self.row(record, group_start=record[1] != previous_queue))
            previous_queue = record[1]
        return out

    def render(self, rows: Sequence[QueueRow]) -> SafeString:
        """The rows' markup: the template, with what is the same on every row."""
        html = _rows_environment.get_template(ROWS_TEMPLATE).render(
            rows=rows,
            csrf_token=self.csrf_token,
            query=self.query,
            assign_query=self.query_param,
        )
        for jinja, django in _DJANGO_SPELLING:
            html = html.replace(jinja, django)
        return mark_safe(html)  # noqa: S308 (autoescaped by the environment)

    def row(self, record: Sequence[Any], *, group_start: bool) -> QueueRow:
        (pk, queue, kind, status, due, first, visits, assignee_id, username, patient_id, mrn,
         last, first_name, external_id, code, category, payer, dept, age,
         follow_up) = record  # fmt: skip
        found = self.today - dt.timedelta(days=age)
        standing = due_standing(due, found, self.today)
        mine = assignee_id is not None and assignee_id == self.me
        claimed = assignee_id is not None
        action, action_url = "", ""
        if self.can_work and not claimed:
            action, action_url = "claim", self.claim_url(pk)
        elif claimed and self.can_assign and (mine or self.can_reassign):
            action, action_url = "release", self.release_url(pk)
        may_assign = self.can_assign and (not claimed or mine or self.can_reassign)
        kind_label = KIND_LABELS.get(kind) or kind
        return QueueRow(
            pk=pk,
            key=queue_key_of(queue, due, first, pk, follow_up),
            patient_id=patient_id,
            group_start=group_start,
            queue=queue,
            queue_label=QUEUE_LABELS.get(queue) or queue,
            kind=kind,
            kind_label=kind_label,
            kind_short=KIND_SHORT.get(kind) or kind_label,
            due=day_text(due),
            found=day_text(found),
            overdue=standing in (LATE, AT_ONCE_LATE),
            at_once=standing in (DUE_AT_ONCE, AT_ONCE_LATE),
            follow_up=day_text(follow_up) if follow_up else "",
            waiting=status == ItemStatus.WAITING_ON_PAYER,
            mine=mine,
            assignee=username if claimed and not mine else "",
            mrn=mrn,
            patient=f"{last}, {first_name}",
            url=self.item_url(pk) + self.back,
            category=CATEGORY_LABELS.get(category) or category,
            order=f"{external_id} · {code}",
            payer=payer or "",
            first=day_text(first),
            visits=visits,
            dept=dept or "",
            age=age,
            action=action,
            action_url=action_url,
            assign_url=self.assign_url(pk) if may_assign else "",
        )
