"""Each step and rule of gap-detection.md, with dates at the edges."""

from __future__ import annotations

import datetime as dt

import pytest

from patients.models import Appointment
from tests import factories as f
from tests.factories import d
from worklists.models import WorkItem
from worklists.scan.runs import run_scan

pytestmark = pytest.mark.django_db

AS_OF = d("2026-12-01")


def items(as_of: dt.date = AS_OF) -> dict[tuple[str, str], WorkItem]:
    run_scan(as_of=as_of)
    return {
        (w.order.external_id, w.kind): w for w in WorkItem.objects.open().select_related("order")
    }


def kinds(as_of: dt.date = AS_OF) -> set[str]:
    return {kind for _order, kind in items(as_of)}


# --- Terms: window, statuses, time zone -------------------------------------------------


def test_window_includes_as_of_and_horizon_end_but_not_the_day_after(settings):
    settings.AUTHQ_HORIZON_DAYS = 30
    _, pat = f.practice()
    inside_first = f.order(pat)
    f.visit(inside_first, "2026-12-01", hour=8)
    inside_last = f.order(pat)
    f.visit(inside_last, "2026-12-31", hour=23)
    outside = f.order(pat)
    f.visit(outside, "2027-01-01", hour=0)
    found = items()
    assert found[inside_first.external_id, "missing_auth"].first_service_date == d("2026-12-01")
    assert found[inside_last.external_id, "missing_auth"].first_service_date == d("2026-12-31")
    assert not any(order == outside.external_id for order, _ in found)


def test_booked_appointments_before_as_of_and_non_booked_statuses_are_ignored():
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-11-30")  # booked but in the past
    for status in ("cancelled", "noshow", "entered-in-error", "proposed", "pending", "waitlist"):
        f.visit(order, "2026-12-05", status=status)
    assert items() == {}


def test_dates_are_local_dates_in_the_practice_time_zone():
    _, pat = f.practice()
    order = f.order(pat)
    # 04:30 UTC on Dec 2 is 23:30 on Dec 1 in New York.
    Appointment.objects.create(
        order=order,
        external_id="late-evening",
        status="booked",
        start=dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC),
    )
    item = items()[order.external_id, "missing_auth"]
    assert item.first_service_date == d("2026-12-01")


def test_appointment_late_on_the_evening_before_as_of_is_not_upcoming():
    _, pat = f.practice()
    order = f.order(pat)
    # 04:30 UTC on Dec 1 is 23:30 on Nov 30 in New York: before as_of.
    Appointment.objects.create(
        order=order,
        external_id="yesterday-local",
        status="booked",
        start=dt.datetime(2026, 12, 1, 4, 30, tzinfo=dt.UTC),
    )
    assert items() == {}


# --- Primary coverage ----------------------------------------------------------------------


def test_no_primary_coverage_on_the_date_is_a_no_coverage_gap():
    payer = f.payer("ACME")
    f.rule(payer)
    pat = f.patient()
    f.coverage(pat, payer, rank=2)  # secondary only
    f.coverage(pat, payer, rank=1, start=d("2025-01-01"), end=d("2026-12-04"))
    order = f.order(pat)
    f.visit(order, "2026-12-04")  # coverage end is inclusive
    f.visit(order, "2026-12-05")
    f.visit(order, "2026-12-09")
    found = items()
    gap = found[order.external_id, "no_coverage"]
    assert (gap.first_service_date, gap.affected_appointments) == (d("2026-12-05"), 2)
    assert gap.due_date == d("2026-11-28")  # no rule that day: the rule on as_of, lead 7
    assert found[order.external_id, "missing_auth"].affected_appointments == 1


def test_several_primary_coverages_take_the_latest_start():
    old = f.payer("OLD")
    f.rule(old, auth_required=False)
    new = f.payer("NEW")
    f.rule(new, auth_required=True)
    pat = f.patient()
    f.coverage(pat, old, start=d("2025-01-01"))
    f.coverage(pat, new, start=d("2026-06-01"))
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    assert kinds() == {"missing_auth"}


# --- Rule matching -------------------------------------------------------------------------


def test_no_matching_rule_is_an_unknown_rule_gap():
    payer = f.payer("ACME")
    f.rule(payer, service_category="imaging")
    pat = f.patient()
    f.coverage(pat, payer)
    order = f.order(pat, service_category="physical_therapy")
    f.visit(order, "2026-12-10")
    item = items()[order.external_id, "unknown_rule"]
    assert item.due_date == d("2026-12-03")


def test_codes_outweigh_category_and_plan():
    payer = f.payer("ACME")
    f.rule(payer, plan="GOLD", service_category="physical_therapy", auth_required=True)  # 3
    f.rule(payer, codes=["97110"], auth_required=False)  # 4
    pat = f.patient()
    f.coverage(pat, payer, plan="GOLD")
    order = f.order(pat, code="97110")
    f.visit(order, "2026-12-10")
    assert kinds() == set()


def test_category_outweighs_plan():
    payer = f.payer("ACME")
    f.rule(payer, plan="GOLD", auth_required=False)  # 1
    f.rule(payer, service_category="physical_therapy", auth_required=True)  # 2
    pat = f.patient()
    f.coverage(pat, payer, plan="GOLD")
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    assert kinds() == {"missing_auth"}


def test_a_rule_for_another_plan_or_code_does_not_match():
    payer = f.payer("ACME")
    f.rule(payer, plan="SILVER", auth_required=False)
    f.rule(payer, codes=["97140"], auth_required=False)
    f.rule(payer, auth_required=True)
    pat = f.patient()
    f.coverage(pat, payer, plan="GOLD")
    order = f.order(pat, code="97110")
    f.visit(order, "2026-12-10")
    assert kinds() == {"missing_auth"}


def test_equal_scores_take_the_latest_effective_from_then_the_lowest_id():
    payer = f.payer("ACME")
    f.rule(payer, effective_from=d("2025-01-01"), auth_required=False)
    f.rule(payer, effective_from=d("2026-01-01"), auth_required=True, lead_time_days=10)
    f.rule(payer, effective_from=d("2026-01-01"), auth_required=False)  # higher id loses
    pat = f.patient()
    f.coverage(pat, payer)
    order = f.order(pat)
    f.visit(order, "2026-12-20")
    item = items()[order.external_id, "missing_auth"]
    assert item.due_date == d("2026-12-10")


def test_rules_are_matched_on_each_appointment_date_with_inclusive_effective_dates():
    payer = f.payer("ACME")
    f.rule(payer, effective_from=d("2025-01-01"), effective_to=d("2026-12-10"), auth_required=True)
    f.rule(payer, effective_from=d("2026-12-11"), auth_required=False)
    pat = f.patient()
    f.coverage(pat, payer)
    order = f.order(pat)
    f.visit(order, "2026-12-10")  # last day of the first rule
    f.visit(order, "2026-12-11")  # the successor says no auth
    item = items()[order.external_id, "missing_auth"]
    assert (item.first_service_date, item.affected_appointments) == (d("2026-12-10"), 1)


# --- Steps 3 to 9 --------------------------------------------------------------------------


def test_step3_auth_not_required_covers_the_visit():
    _, pat = f.practice(auth_required=False)
    order = f.order(pat, visits_ordered=10)
    f.visit(order, "2026-12-03")
    assert items() == {}


def test_step4_visits_go_to_the_earliest_ending_authorization_with_visits_left():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-31", approved_visits=10)
    f.auth(order, start_date="2026-11-15", end_date="2026-12-06", approved_visits=2)
    f.visit(order, "2026-11-20", status="fulfilled")  # taken from the short one
    for day in ("2026-12-02", "2026-12-03", "2026-12-04"):
        f.visit(order, day)
    # short auth: 1 used + 12-02 = 2; 12-03 and 12-04 go to the long one.
    assert items() == {}


def test_step4_counts_only_used_visits_inside_the_span_and_not_cancellations():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-31", approved_visits=3)
    f.visit(order, "2026-10-20", status="fulfilled")  # before the span
    f.visit(order, "2026-11-03", status="cancelled")
    f.visit(order, "2026-11-04", status="noshow")
    f.visit(order, "2026-11-05", status="arrived")
    f.visit(order, "2026-11-06", status="checked-in")
    f.visit(order, "2026-12-02")  # third visit: covered
    f.visit(order, "2026-12-09")  # fourth: over the cap
    item = items()[order.external_id, "visit_limit"]
    assert (item.first_service_date, item.affected_appointments) == (d("2026-12-09"), 1)


def test_step4_unlimited_visits_and_partial_approval_cover_every_visit_in_span():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, status="partial", start_date="2026-11-01", end_date="2026-12-31")
    for n in range(10):
        f.visit(order, dt.date(2026, 12, 2) + dt.timedelta(days=n))
    assert items() == {}


def test_draft_and_cancelled_authorizations_are_ignored():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, status="draft", start_date="2026-11-01", end_date="2026-12-31")
    f.auth(order, status="cancelled", start_date="2026-11-01", end_date="2026-12-31")
    f.visit(order, "2026-12-10")
    assert kinds() == {"missing_auth"}


def test_step5_a_submitted_request_covers_visits_as_pending():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-30"))
    f.visit(order, "2026-12-10")
    assert items() == {}


def test_step5_comes_before_the_cap_and_step6():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-31", approved_visits=1)
    f.auth(order, status="denied", decided_at=f.at("2026-11-20"))
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-30"))
    f.visit(order, "2026-12-02")
    f.visit(order, "2026-12-03")
    found = items()
    assert (order.external_id, "visit_limit") not in found
    assert set(found) == {(order.external_id, "denied")}  # the denial is still appealable
    assert found[order.external_id, "denied"].affected_appointments == 0


def test_step6_latest_decision_denied_is_a_denied_gap():
    _, pat = f.practice(appeal_window_days=60)
    order = f.order(pat)
    f.auth(order, start_date="2026-09-01", end_date="2026-10-31", decided_at=f.at("2026-08-30"))
    f.auth(order, status="denied", decided_at=f.at("2026-11-10"))
    f.visit(order, "2026-12-20")
    f.visit(order, "2026-12-22")
    item = items()[order.external_id, "denied"]
    assert (item.first_service_date, item.affected_appointments) == (d("2026-12-20"), 2)
    # earlier of 12-20 - 7 and 11-10 + 60
    assert item.due_date == d("2026-12-13")


def test_step6_a_later_approval_supersedes_an_earlier_denial():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, status="denied", decided_at=f.at("2026-11-01"))
    f.auth(order, start_date="2026-09-01", end_date="2026-11-30", decided_at=f.at("2026-11-15"))
    f.visit(order, "2026-12-10")
    assert kinds() == {"auth_expiring"}


def test_step7_over_the_cap_is_a_visit_limit_gap():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-31", approved_visits=1)
    f.visit(order, "2026-12-02")
    f.visit(order, "2026-12-08")
    f.visit(order, "2026-12-09")
    item = items()[order.external_id, "visit_limit"]
    assert (item.first_service_date, item.affected_appointments, item.due_date) == (
        d("2026-12-08"),
        2,
        d("2026-12-01"),
    )


def test_step8_after_an_approved_span_ended_is_auth_expiring():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-05")
    f.visit(order, "2026-12-05")  # last covered day
    f.visit(order, "2026-12-06")
    item = items()[order.external_id, "auth_expiring"]
    assert (item.first_service_date, item.affected_appointments) == (d("2026-12-06"), 1)


def test_step9_an_approval_that_starts_later_does_not_cover_an_earlier_visit():
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, start_date="2026-12-15", end_date="2027-01-31")
    f.visit(order, "2026-12-10")
    f.visit(order, "2026-12-16")
    item = items()[order.external_id, "missing_auth"]
    assert (item.first_service_date, item.affected_appointments) == (d("2026-12-10"), 1)


# --- Proactive re-authorization --------------------------------------------------------------


def _series(renewal: int = 14, threshold: int = 2, **order_kw):
    _, pat = f.practice(renewal_window_days=renewal, visit_threshold=threshold)
    return f.order(pat, visits_ordered=order_kw.pop("visits_ordered", 12), **order_kw)


def test_proactive_auth_expiring_fires_when_the_end_is_exactly_the_renewal_window_away():
    order = _series(renewal=14)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-15")  # 14 days after as_of
    item = items()[order.external_id, "auth_expiring"]
    assert (item.first_service_date, item.affected_appointments) == (None, 0)
    assert item.due_date == d("2026-12-08")  # end - lead 7


def test_proactive_auth_expiring_waits_when_the_end_is_one_day_beyond_the_window():
    order = _series(renewal=14)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-16")
    assert items() == {}


def test_proactive_needs_the_plan_of_care_to_need_more_visits():
    order = _series(renewal=14, visits_ordered=3)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-10")
    f.visit(order, "2026-11-10", status="fulfilled")
    f.visit(order, "2026-11-12", status="fulfilled")
    f.visit(order, "2026-12-02")  # planned = 2 used + 1 assigned = 3: nothing more needed
    assert items() == {}


def test_proactive_visit_limit_fires_at_the_threshold():
    order = _series(renewal=14, threshold=2)
    f.auth(order, start_date="2026-11-01", end_date="2027-02-28", approved_visits=6)
    for day in ("2026-11-03", "2026-11-05", "2026-11-10"):
        f.visit(order, day, status="fulfilled")
    f.visit(order, "2026-12-03")  # 4 taken, 2 left == threshold
    item = items()[order.external_id, "visit_limit"]
    assert (item.first_service_date, item.affected_appointments, item.due_date) == (None, 0, AS_OF)


def test_proactive_visit_limit_waits_above_the_threshold():
    order = _series(renewal=14, threshold=2)
    f.auth(order, start_date="2026-11-01", end_date="2027-02-28", approved_visits=6)
    f.visit(order, "2026-11-03", status="fulfilled")
    f.visit(order, "2026-12-03")  # 2 taken, 4 left
    assert items() == {}


def test_proactive_is_off_without_visits_ordered_or_with_a_submitted_request():
    order = _series(renewal=14, visits_ordered=None)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-10")
    other = _series(renewal=14)
    f.auth(other, start_date="2026-11-01", end_date="2026-12-10")
    f.auth(other, status="submitted", submitted_at=f.at("2026-11-30"))
    assert items() == {}


def test_an_appointment_gap_that_is_also_proactive_takes_the_earlier_due_date():
    order = _series(renewal=14)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-10", approved_visits=20)
    f.visit(order, "2026-12-20")
    item = items()[order.external_id, "auth_expiring"]
    assert item.first_service_date == d("2026-12-20")
    assert item.due_date == d("2026-12-03")  # 12-10 - 7 beats 12-20 - 7


# --- Pending follow-up ------------------------------------------------------------------------


def test_pending_follow_up_is_due_standard_days_after_submission():
    _, pat = f.practice(standard_turnaround_days=7)
    due_today = f.order(pat)
    f.auth(due_today, status="submitted", submitted_at=f.at("2026-11-24", 16))
    f.visit(due_today, "2026-12-10")
    not_yet = f.order(pat)
    f.auth(not_yet, status="submitted", submitted_at=f.at("2026-11-25", 8))
    found = items()
    item = found[due_today.external_id, "pending_follow_up"]
    assert (item.due_date, item.first_service_date, item.affected_appointments) == (
        AS_OF,
        d("2026-12-10"),
        1,
    )
    assert (not_yet.external_id, "pending_follow_up") not in found


def test_expedited_follow_up_counts_hours_and_takes_the_local_date():
    _, pat = f.practice(expedited_turnaround_hours=72)
    order = f.order(pat, priority="urgent")
    # 22:00 local on 11-27 + 72h = 22:00 on 11-30.
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-27", 22))
    item = items()[order.external_id, "pending_follow_up"]
    assert (item.due_date, item.queue) == (d("2026-11-30"), "stat")
    later = f.order(pat, priority="stat")
    f.auth(later, status="submitted", submitted_at=f.at("2026-11-29", 1))  # -> 12-02
    assert (later.external_id, "pending_follow_up") not in items()


def test_several_submitted_requests_take_the_earliest_follow_up():
    _, pat = f.practice(standard_turnaround_days=7)
    order = f.order(pat)
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-30"))
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-20"))
    assert items()[order.external_id, "pending_follow_up"].due_date == d("2026-11-27")


def test_follow_up_uses_default_turnaround_when_no_rule_matches():
    pat = f.patient()  # no coverage at all
    order = f.order(pat)
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-24"))
    assert items()[order.external_id, "pending_follow_up"].due_date == d("2026-12-01")


# --- Denied ------------------------------------------------------------------------------------


def test_denied_item_lasts_through_the_last_day_of_the_appeal_window():
    _, pat = f.practice(appeal_window_days=30)
    on_edge = f.order(pat)
    f.auth(on_edge, status="denied", decided_at=f.at("2026-11-01", 17))  # + 30 = 12-01
    past = f.order(pat)
    f.auth(past, status="denied", decided_at=f.at("2026-10-31", 17))
    found = items()
    assert found[on_edge.external_id, "denied"].due_date == AS_OF
    assert (past.external_id, "denied") not in found


# --- Queues and order ------------------------------------------------------------------------


def test_queue_is_stat_within_the_stat_window_or_for_urgent_orders(settings):
    settings.AUTHQ_STAT_WINDOW_DAYS = 2
    _, pat = f.practice()
    near = f.order(pat)
    f.visit(near, "2026-12-03")  # 2 days out
    far = f.order(pat)
    f.visit(far, "2026-12-04")  # 3 days out
    urgent = f.order(pat, priority="urgent")
    f.visit(urgent, "2026-12-20")
    found = items()
    assert found[near.external_id, "missing_auth"].queue == "stat"
    assert found[far.external_id, "missing_auth"].queue == "routine"
    assert found[urgent.external_id, "missing_auth"].queue == "stat"


def test_due_date_before_as_of_marks_the_item_overdue_and_it_stays():
    _, pat = f.practice(lead_time_days=7)
    order = f.order(pat)
    f.visit(order, "2026-12-05")
    run_scan(as_of=AS_OF)
    assert list(WorkItem.objects.open().overdue(AS_OF)) == list(WorkItem.objects.open())
    assert WorkItem.objects.get().due_date == d("2026-11-28")


def test_queue_order_is_stat_first_then_due_date_then_first_service_date_empty_last():
    _, pat = f.practice(lead_time_days=7, renewal_window_days=30)
    routine_early = f.order(pat)
    f.visit(routine_early, "2026-12-08")  # due 12-01
    stat_late = f.order(pat, priority="stat")
    f.visit(stat_late, "2026-12-25")  # due 12-18
    proactive = f.order(pat, visits_ordered=10)
    f.auth(proactive, start_date="2026-11-01", end_date="2026-12-08")  # due 12-01, no date
    routine_same_due = f.order(pat)
    f.visit(routine_same_due, "2026-12-08", hour=15)  # due 12-01 too, later id
    run_scan(as_of=AS_OF)
    ordered = [
        w.order.external_id
        for w in WorkItem.objects.open().in_queue_order().select_related("order")
    ]
    assert ordered == [
        stat_late.external_id,
        routine_early.external_id,
        routine_same_due.external_id,
        proactive.external_id,
    ]


# --- Due dates when the visit's day has no rule --------------------------------------------
# The payer's rule on as_of differs from the defaults and ends before the visit on 12-15:
# an item's due date then comes from that rule, never from the defaults.

AS_OF_RULE = {
    "effective_to": d("2026-12-09"),
    "lead_time_days": 3,  # default 7
    "renewal_window_days": 30,  # default 14
    "visit_threshold": 4,  # default 2
    "standard_turnaround_days": 4,  # default 7
    "appeal_window_days": 40,  # default 60
}


def _rule_ends_before_the_visit(*, coverage_end: dt.date | None = None, **order_kw):
    payer = f.payer()
    f.rule(payer, **AS_OF_RULE)
    pat = f.patient()
    f.coverage(pat, payer, end=coverage_end)
    order = f.order(pat, **order_kw)
    f.visit(order, "2026-12-15")
    return order


def _no_coverage_on_the_visit_day():
    return _rule_ends_before_the_visit(coverage_end=d("2026-12-09"))


def _proactive_renewal():
    order = _rule_ends_before_the_visit(visits_ordered=12)
    f.auth(order, start_date="2026-11-01", end_date="2026-12-20")  # 19 days: within 30
    return order


def _proactive_visit_limit():
    order = _rule_ends_before_the_visit(visits_ordered=12)
    f.auth(order, start_date="2026-11-01", end_date="2027-03-31", approved_visits=6)
    f.visit(order, "2026-11-10", status="fulfilled")
    f.visit(order, "2026-11-17", status="fulfilled")  # 4 left: at the threshold of 4
    return order


def _denied():
    order = _rule_ends_before_the_visit()
    f.auth(order, status="denied", decided_at=f.at("2026-11-05"))
    return order


def _pending():
    order = _rule_ends_before_the_visit()
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-24"))
    return order


@pytest.mark.parametrize(
    ("make", "kind", "due"),
    [
        (_no_coverage_on_the_visit_day, "no_coverage", "2026-12-12"),  # 12-15 - 3
        (_rule_ends_before_the_visit, "unknown_rule", "2026-12-12"),
        (_proactive_renewal, "unknown_rule", "2026-12-12"),
        (_proactive_renewal, "auth_expiring", "2026-12-17"),  # end 12-20 - 3
        (_proactive_visit_limit, "visit_limit", "2026-12-01"),  # as_of
        (_denied, "denied", "2026-12-15"),  # decided 11-05 + 40
        (_pending, "pending_follow_up", "2026-11-28"),  # sent 11-24 + 4
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_an_item_without_a_rule_on_the_visit_day_takes_the_rule_on_as_of(make, kind, due):
    order = make()
    assert items()[order.external_id, kind].due_date == d(due)


def test_an_appointment_gap_takes_its_own_day_rule_over_the_one_on_as_of():
    payer = f.payer()
    f.rule(payer, **AS_OF_RULE)
    f.rule(payer, effective_from=d("2026-12-10"), lead_time_days=10)
    pat = f.patient()
    f.coverage(pat, payer)
    missing = f.order(pat)
    f.visit(missing, "2026-12-20")
    capped = f.order(pat)
    f.auth(capped, start_date="2026-11-01", end_date="2026-12-31", approved_visits=1)
    f.visit(capped, "2026-11-20", status="fulfilled")
    f.visit(capped, "2026-12-20")
    ended = f.order(pat)
    f.auth(ended, start_date="2026-10-01", end_date="2026-11-30")
    f.visit(ended, "2026-12-20")
    denied = f.order(pat)
    f.auth(denied, status="denied", decided_at=f.at("2026-11-25"))  # appeal by 01-04
    f.visit(denied, "2026-12-20")
    found = items()
    for order, kind in (
        (missing, "missing_auth"),
        (capped, "visit_limit"),
        (ended, "auth_expiring"),
        (denied, "denied"),
    ):
        assert found[order.external_id, kind].due_date == d("2026-12-10"), kind  # 12-20 - 10
