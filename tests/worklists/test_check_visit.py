"""The scheduler's question, answered by the scan's own rules: is a visit on this date covered?"""

from __future__ import annotations

import datetime as dt

import pytest

from authq.lib import clock
from tests import factories as f
from worklists.scan import visit_check

pytestmark = pytest.mark.django_db


def _soon(days: int) -> dt.date:
    return clock.today() + dt.timedelta(days=days)


def test_a_visit_inside_an_approval_is_covered_with_the_visits_left_counting_it():
    _, pat = f.practice()
    order = f.order(pat)
    approval = f.auth(
        order, auth_number="A-1", start_date=_soon(-10), end_date=_soon(40), approved_visits=4
    )
    f.visit(order, _soon(-5), status="fulfilled")
    f.visit(order, _soon(2))
    answer = visit_check.check_visit(order, _soon(5))
    assert answer == visit_check.VisitCheck("covered", approval, 2, _soon(40))


def test_booked_visits_before_the_date_use_up_the_approval_first():
    _, pat = f.practice()
    order = f.order(pat)
    approval = f.auth(order, start_date=_soon(-1), end_date=_soon(40), approved_visits=2)
    f.visit(order, _soon(1))
    f.visit(order, _soon(3))
    f.visit(order, _soon(9))  # after the date asked: already over the cap, nothing to take
    answer = visit_check.check_visit(order, _soon(5))
    assert (answer.status, answer.authorization, answer.visits_left) == ("visit_limit", approval, 0)
    assert answer.displaces is None


def test_visits_booked_after_the_date_count_and_the_last_covered_one_is_displaced():
    # The case: 8 approved, 3 used, 5 booked after the date: none left for it.
    _, pat = f.practice()
    order = f.order(pat)
    approval = f.auth(order, start_date=_soon(-30), end_date=_soon(60), approved_visits=8)
    for n in (-20, -15, -10):
        f.visit(order, _soon(n), status="fulfilled")
    for n in (10, 12, 14, 16, 18):
        f.visit(order, _soon(n))
    answer = visit_check.check_visit(order, _soon(5))
    assert answer == visit_check.VisitCheck("covered", approval, 1, _soon(60), displaces=_soon(18))
    # Between booked visits: the same, the last one loses its visit.
    assert visit_check.check_visit(order, _soon(13)).displaces == _soon(18)
    # After all of them: over the cap itself, and no one else loses anything.
    after = visit_check.check_visit(order, _soon(20))
    assert (after.status, after.visits_left, after.displaces) == ("visit_limit", 0, None)


def test_with_room_left_booked_visits_after_the_date_still_count_in_visits_left():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date=_soon(-1), end_date=_soon(60), approved_visits=4)
    f.visit(order, _soon(10))
    f.visit(order, _soon(20))
    answer = visit_check.check_visit(order, _soon(5))
    assert (answer.status, answer.visits_left, answer.displaces) == ("covered", 2, None)


def test_a_second_approval_that_takes_the_pushed_visit_means_nothing_is_displaced():
    _, pat = f.practice()
    order = f.order(pat)
    short = f.auth(order, start_date=_soon(-1), end_date=_soon(20), approved_visits=1)
    f.auth(order, start_date=_soon(-1), end_date=_soon(40), approved_visits=5)
    f.visit(order, _soon(10))  # the short one's only visit
    answer = visit_check.check_visit(order, _soon(5))
    # It takes the short one's visit; day 10 moves to the long one and stays covered.
    assert (answer.status, answer.authorization, answer.displaces) == ("covered", short, None)


def test_a_visit_on_the_day_of_a_booked_one_comes_after_it():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date=_soon(-1), end_date=_soon(40), approved_visits=1)
    f.visit(order, _soon(10), hour=16)
    answer = visit_check.check_visit(order, _soon(10))
    assert (answer.status, answer.displaces) == ("visit_limit", None)


def test_a_displaced_visit_that_would_only_be_pending_is_still_named():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date=_soon(-1), end_date=_soon(40), approved_visits=1)
    f.auth(order, status="submitted", submitted_at=f.at(_soon(-1)))
    f.visit(order, _soon(10))
    answer = visit_check.check_visit(order, _soon(5))
    assert (answer.status, answer.displaces) == ("covered", _soon(10))
    assert visit_check.check_visit(order, _soon(12)).status == "pending"


def test_a_visit_after_the_approval_ends_is_auth_expiring_with_the_end_date():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date=_soon(-30), end_date=_soon(3))
    answer = visit_check.check_visit(order, _soon(10))
    assert (answer.status, answer.auth_end_date) == ("auth_expiring", _soon(3))


def test_pending_not_required_and_missing_answers():
    _, pat = f.practice()
    pending = f.order(pat)
    f.auth(pending, status="submitted", submitted_at=f.at(_soon(-1)))
    assert visit_check.check_visit(pending, _soon(7)).status == "pending"
    assert visit_check.check_visit(f.order(pat), _soon(7)).status == "missing_auth"
    _, free = f.practice(auth_required=False)
    answer = visit_check.check_visit(f.order(free), _soon(7))
    assert answer == visit_check.VisitCheck("not_required", None, None, None)


def test_a_date_beyond_the_scan_horizon_is_still_answered():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date=_soon(0), end_date=_soon(120))
    assert visit_check.check_visit(order, _soon(90)).status == "covered"
