"""The scheduler's question, answered by the scan's own rules: is a visit on this date covered?"""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from worklists import scan

pytestmark = pytest.mark.django_db


def _soon(days: int) -> dt.date:
    return scan.today() + dt.timedelta(days=days)


def test_a_visit_inside_an_approval_is_covered_with_the_visits_left_counting_it():
    _, pat = f.practice()
    order = f.order(pat)
    approval = f.auth(
        order, auth_number="A-1", start_date=_soon(-10), end_date=_soon(40), approved_visits=4
    )
    f.visit(order, _soon(-5), status="fulfilled")
    f.visit(order, _soon(2))
    answer = scan.check_visit(order, _soon(5))
    assert answer == scan.VisitCheck("covered", approval, 2, _soon(40))


def test_booked_visits_before_the_date_use_up_the_approval_first():
    _, pat = f.practice()
    order = f.order(pat)
    approval = f.auth(order, start_date=_soon(-1), end_date=_soon(40), approved_visits=2)
    f.visit(order, _soon(1))
    f.visit(order, _soon(3))
    f.visit(order, _soon(9))  # after the date asked: does not count
    answer = scan.check_visit(order, _soon(5))
    assert (answer.status, answer.authorization, answer.visits_left) == ("visit_limit", approval, 0)


def test_a_visit_after_the_approval_ends_is_auth_expiring_with_the_end_date():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date=_soon(-30), end_date=_soon(3))
    answer = scan.check_visit(order, _soon(10))
    assert (answer.status, answer.auth_end_date) == ("auth_expiring", _soon(3))


def test_pending_not_required_and_missing_answers():
    _, pat = f.practice()
    pending = f.order(pat)
    f.auth(pending, status="submitted", submitted_at=f.at(_soon(-1)))
    assert scan.check_visit(pending, _soon(7)).status == "pending"
    assert scan.check_visit(f.order(pat), _soon(7)).status == "missing_auth"
    _, free = f.practice(auth_required=False)
    answer = scan.check_visit(f.order(free), _soon(7))
    assert answer == scan.VisitCheck("not_required", None, None, None)


def test_a_date_beyond_the_scan_horizon_is_still_answered():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date=_soon(0), end_date=_soon(120))
    assert scan.check_visit(order, _soon(90)).status == "covered"
