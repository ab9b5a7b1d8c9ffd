"""The scheduler's question: would one more visit of an order on a day be covered?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from authq.lib.clock import today
from patients.models import Order
from payers.models import Authorization
from worklists.scan.evaluate import COVERED, AuthFacts, decide_appointments
from worklists.scan.load import load_orders
from worklists.scan.rules import RuleBook

# How far from today a visit date may be checked, either way.
CHECK_RANGE_DAYS = 3 * 365


def check_date_error(day: dt.date) -> str | None:
    """Why `day` may not be checked (too far from today), or None."""
    now = today()
    if abs((day - now).days) > CHECK_RANGE_DAYS:
        return f"Pick a date within {CHECK_RANGE_DAYS} days of today ({now.isoformat()})."
    return None


@dataclass(frozen=True, slots=True)
class VisitCheck:
    """The scheduler's answer: would a visit of this order on this date be covered?

    displaces: when the visit is covered by taking an authorized visit that a visit
    booked later had, the date of the first booked visit that would lose its coverage.
    """

    status: str  # "covered", "pending", "not_required" or a gap kind
    authorization: Authorization | None
    visits_left: int | None
    auth_end_date: dt.date | None
    displaces: dt.date | None = None


def _authorization_as_read(auth: AuthFacts, order_id: int) -> Authorization:
    """The Authorization row as load_orders just read it, without reading it again.

    Its other columns are deferred: Django reads them on first access, as for `.only()`.
    """
    names = [
        "id", "order_id", "status", "auth_number", "start_date", "end_date",
        "approved_visits", "submitted_at", "decided_at", "expedited",
    ]  # fmt: skip
    values = [
        auth.id, order_id, auth.status, auth.auth_number, auth.start_date, auth.end_date,
        auth.approved_visits, auth.submitted_at, auth.decided_at, auth.expedited,
    ]  # fmt: skip
    return Authorization.from_db(connection.alias, names, values)


def check_visit(order: Order, day: dt.date) -> VisitCheck:
    """Decide one more visit of `order` on `day`, walked among the visits already booked.

    The walk runs over every visit booked from today (or from `day`, if earlier), the
    asked one in date order after those booked the same day, as the scan would walk it
    once booked. It runs a second time without the asked visit: a booked visit covered
    then and not with it is displaced. `visits_left` counts this visit: the approved
    visits of its authorization that used and other booked visits leave to it.
    """
    as_of = min(today(), day)
    (facts,) = load_orders([order.pk], as_of, None)
    rules = RuleBook.load()
    without, _ = decide_appointments(facts, rules)
    with_it, walk = decide_appointments(facts, rules, extra_day=day)
    decision = next(d for d in with_it if d.appointment_id is None)
    auth = decision.authorization
    visits_left = decision.visits_left if auth is not None else None
    displaces = None
    if decision.outcome == COVERED:
        assert auth is not None
        left = walk.left(auth)
        visits_left = None if left is None else left + 1
        # The asked visit took one: a visit that lost its coverage is one of these.
        now = {d.appointment_id: d.outcome for d in with_it}
        displaces = next(
            (d.day for d in without if d.outcome == COVERED and now[d.appointment_id] != COVERED),
            None,
        )
    authorization = _authorization_as_read(auth, order.pk) if auth is not None else None
    return VisitCheck(
        status=decision.outcome,
        authorization=authorization,
        visits_left=visits_left,
        auth_end_date=auth.end_date if auth is not None else None,
        displaces=displaces,
    )
