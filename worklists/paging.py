"""Paging the queue by keyset: Next and Previous start from an item's place in the queue.

`?page=N` alone skips N-1 pages (an OFFSET: the index is walked from the start, slower
the deeper the page). The pager's links carry the place of the page's last (or first)
item instead, `after=` / `before=`, so each step is one range read of the queue-order
index, as fast at page 1,000 as at page 2. `page=` still travels along for the
"page N of M" the specialist sees.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from authq.lib.bounds import in_window
from worklists.models import NO_SERVICE_DATE, WorkItemQuerySet

QueueKey = tuple[int, dt.date, dt.date, int]


def key_text(key: QueueKey) -> str:
    """A place in the queue as it travels in a URL: rank.due.first-service.id."""
    rank, due, first, pk = key
    return f"{rank}.{due.isoformat()}.{first.isoformat()}.{pk}"


def parse_key(text: str | None) -> QueueKey | None:
    """The place a URL carries, or None when it is missing or malformed."""
    if not text:
        return None
    try:
        rank_text, due_text, first_text, pk_text = text.split(".")
        key = (
            int(rank_text),
            dt.date.fromisoformat(due_text),
            dt.date.fromisoformat(first_text),
            int(pk_text),
        )
    except ValueError:
        return None
    rank, due, first, pk = key
    # A place outside what the database can compare (ids past bigint, dates outside the
    # window) is as malformed as a bad one; an item with no service date sorts as date.max.
    first_ok = first == NO_SERVICE_DATE or in_window(first)
    sane = rank in (0, 1) and 0 < pk < 2**63 and in_window(due) and first_ok
    return key if sane else None


@dataclass
class QueuePage:
    number: int
    count: int
    size: int
    has_previous: bool
    has_next: bool
    rows: list[Any] = field(default_factory=list)  # the view's rows, in queue order
    previous_query: str = ""
    next_query: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.size))

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def _number(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


@dataclass
class PageQuery:
    """The query for one page's ids, before it runs: `ids` yields up to size + 1 ids,
    nearest first (so, for a Previous page, in reverse queue order)."""

    number: int
    count: int
    size: int
    ids: Any  # a values_list("id", flat=True) queryset
    mode: str  # "after", "before" or "offset"


def page_query(items: WorkItemQuerySet, params: QueryDict, *, count: int, size: int) -> PageQuery:
    """What `params` asks for: after a place, before one, or page N by offset."""
    number = _number(params.get("page"))
    after, before = parse_key(params.get("after")), parse_key(params.get("before"))
    offset = 0
    if after:
        ordered, mode = items.after_in_queue(after).in_queue_order(), "after"
    elif before:
        ordered, mode = items.before_in_queue(before), "before"
    else:
        number = min(number, max(1, math.ceil(count / size)))
        ordered, mode, offset = items.in_queue_order(), "offset", (number - 1) * size
    ids = ordered.values_list("id", flat=True)[offset : offset + size + 1]
    return PageQuery(number, count, size, ids, mode)


def page_from[T](query: PageQuery, found: Sequence[T]) -> tuple[QueuePage, list[T]]:
    """The page, and the rows of it among `found` (what `query.ids` selected, in its
    order, one row per id), in queue order."""
    number, size = query.number, query.size
    more = len(found) > size
    shown = list(found[:size])
    if query.mode == "after":
        has_previous, has_next = True, more
    elif query.mode == "before":
        has_previous, has_next = more, True
        shown.reverse()
        if not has_previous:
            number = 1
    else:
        has_previous, has_next = number > 1, more
    return QueuePage(number, query.count, size, has_previous, has_next), shown


def link_pages(page: QueuePage, params: QueryDict, first: QueueKey, last: QueueKey) -> None:
    """Set the page's Previous and Next queries, keeping every other parameter."""
    base = params.copy()
    for name in ("page", "after", "before"):
        base.pop(name, None)

    def query(**values: object) -> str:
        q = base.copy()
        for name, value in values.items():
            q[name] = str(value)
        return q.urlencode()

    if page.has_next:
        page.next_query = query(page=page.number + 1, after=key_text(last))
    if page.has_previous:
        if page.number <= 2:
            page.previous_query = query(page=1)  # the first page is cheap by offset
        else:
            page.previous_query = query(page=page.number - 1, before=key_text(first))
