"""Reading the scan's facts for a chunk of orders: four queries, whatever the chunk size."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.db import connection

from authq.lib.clock import day_start
from authq.lib.sql import id_array
from patients.models import USED_STATUSES, AppointmentStatus
from payers.models import AuthStatus
from worklists import sql
from worklists.scan.evaluate import AuthFacts, CoverageFacts, OrderFacts

# A window_end of None reads every booked visit from as_of on (the same statement, so
# the same plan, with a bound no appointment reaches).
_NO_END = dt.date(9999, 12, 30)


def load_orders(
    order_ids: Sequence[int], as_of: dt.date, window_end: dt.date | None, *, lock: bool = False
) -> list[OrderFacts]:
    """Read the scan's input for a chunk of orders: four queries, whatever the chunk size.

    window_end: the last day of upcoming visits; None for no end.
    lock: the orders' rows are also locked (no-key) for the transaction, by the first query.

    Plain SQL with array parameters: the rows go straight into the facts, without the
    ORM's per-value conversions (the scan reads a million rows; see docs/performance.md).
    """
    with connection.cursor() as cursor:
        orders_sql = sql.ORDERS + " FOR NO KEY UPDATE" if lock else sql.ORDERS
        cursor.execute(orders_sql, {"ids": id_array(order_ids)})
        orders = {row[0]: OrderFacts(*row) for row in cursor.fetchall()}
        if not orders:
            return []
        ids = id_array(orders)
        cursor.execute(
            sql.APPOINTMENTS,
            {
                "ids": ids,
                "tz": settings.AUTHQ_TIME_ZONE,
                "booked": AppointmentStatus.BOOKED.value,
                "lo": day_start(as_of),
                "hi": day_start((window_end or _NO_END) + dt.timedelta(days=1)),
                "used": [s.value for s in USED_STATUSES],
            },
        )
        for order_id, upcoming_ids, upcoming_days, used_days in cursor.fetchall():
            order = orders[order_id]
            if upcoming_ids:
                order.upcoming = list(zip(upcoming_ids, upcoming_days, strict=True))
            if used_days:
                order.used_days = used_days

        ignored = [AuthStatus.DRAFT.value, AuthStatus.CANCELLED.value]
        cursor.execute(sql.AUTHORIZATIONS, {"ids": ids, "ignored": ignored})
        for order_id, *rest in cursor.fetchall():
            orders[order_id].authorizations.append(AuthFacts(*rest))

        by_patient: dict[int, list[OrderFacts]] = defaultdict(list)
        for order in orders.values():
            by_patient[order.patient_id].append(order)
        cursor.execute(sql.COVERAGES, {"patients": id_array(by_patient)})
        for patient_id, *rest in cursor.fetchall():
            facts = CoverageFacts(*rest)
            for order in by_patient[patient_id]:
                order.coverages.append(facts)
    return list(orders.values())
