"""A domain signal about orders, which patients owns: their scan input changed.

patients and payers may not import worklists, so their services announce which orders a
change touched and worklists, which listens, re-evaluates them once the change commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

# Sent with `order_ids`: a list of Order ids whose scan input changed.
orders_changed = Signal()


def announce_orders_changed(order_ids: Iterable[int]) -> None:
    ids = sorted(set(order_ids))
    if ids:
        orders_changed.send(sender=None, order_ids=ids)
