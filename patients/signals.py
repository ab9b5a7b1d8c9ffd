"""A domain signal about orders, which patients owns: their scan input changed.

patients and payers may not import worklists, so their services announce which orders a
change touched and worklists, which listens, re-evaluates them once the change commits.
A batch writer (intake) may collect the announced orders instead, to re-evaluate them
once for the whole batch (collect_orders_changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

# Sent with `order_ids`: a list of Order ids whose scan input changed.
orders_changed = Signal()

_collector: ContextVar[set[int] | None] = ContextVar("orders_changed_collector", default=None)


def announce_orders_changed(order_ids: Iterable[int]) -> None:
    ids = sorted(set(order_ids))
    if not ids:
        return
    collected = _collector.get()
    if collected is not None:
        collected.update(ids)
        return
    orders_changed.send(sender=None, order_ids=ids)


@contextmanager
def collect_orders_changed() -> Iterator[set[int]]:
    """Inside: announced orders are gathered in the yielded set, not sent; the caller
    answers for their re-evaluation."""
    collected: set[int] = set()
    token = _collector.set(collected)
    try:
        yield collected
    finally:
        _collector.reset(token)
