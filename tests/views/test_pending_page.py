"""The "Pending at payer" page: requests with the payer's clock, parked reviews, snoozed
items; who may see it; its queries; the queue page without the snoozed items."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from authq.lib import clock
from patients.models import AccessEvent
from payers.models import Authorization
from tests import factories as f
from tests.views.conftest import HTMX
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from tests.views.items import make_item
from worklists import item_actions
from worklists.models import ItemKind, WorkItem

pytestmark = pytest.mark.django_db

URL = "/queue/pending/"


def submitted(priority: str, hours_ago: float, **rule_kw: object) -> Authorization:
    """A request sent `hours_ago` for a new order of a patient covered by a new payer."""
    payer, patient = f.practice(**rule_kw)
    order = f.order(patient, priority=priority)
    sent = timezone.now() - dt.timedelta(hours=hours_ago)
    return f.auth(order, status="submitted", payer=payer, submitted_at=sent)


def row_of(html: str, marker: str) -> str:
    """The <tr> holding `marker`."""
    at = html.index(marker)
    return html[html.rindex("<tr", 0, at) : html.index("</tr>", at)]


def test_a_request_shows_the_payers_clock_time_left_and_follow_up_date(
    specialist_web: Client,
) -> None:
    stat = submitted("stat", hours_ago=80)  # 72 h clock: 8 h overdue
    routine = submitted("routine", hours_ago=24, standard_turnaround_days=10)
    response = specialist_web.get(URL)
    assert response.status_code == 200
    html = response.content.decode()

    stat_row = row_of(html, f'data-auth="{stat.pk}"')
    assert "72 h" in stat_row and "expedited" in stat_row
    assert "8 h overdue" in stat_row
    due = clock.local_date(stat.submitted_at + dt.timedelta(hours=72))
    assert f'<td class="follow">{due:%b} {due.day}</td>' in stat_row

    routine_row = row_of(html, f'data-auth="{routine.pk}"')
    assert "10 days" in routine_row and "expedited" not in routine_row
    follow = clock.local_date(routine.submitted_at) + dt.timedelta(days=10)
    assert f'<td class="follow">{follow:%b} {follow.day}</td>' in routine_row
    assert " left" in routine_row
    # The most pressing first.
    assert html.index(f'data-auth="{stat.pk}"') < html.index(f'data-auth="{routine.pk}"')


def test_after_a_submission_the_order_is_on_the_pending_page(
    specialist_web: Client, specialist: User
) -> None:
    item = missing_auth_item()
    auth = item_actions.submit_for_item(item, by=specialist, channel="portal")
    html = specialist_web.get(URL).content.decode()
    row = row_of(html, f'data-auth="{auth.pk}"')
    assert order_of(item).external_id in row
    assert "7 days" in row  # the defaults: standard_turnaround_days


def test_a_parked_appeal_shows_its_deadline_and_when_it_comes_back(
    specialist_web: Client, specialist: User
) -> None:
    item = missing_auth_item()
    auth = f.auth(order_of(item), status="submitted")
    item_actions.decide_for_item(
        item,
        auth,
        by=specialist,
        outcome="denied",
        denial_reason_code="medical_necessity",
        denial_reason="No",
    )
    denied = WorkItem.objects.open().get(order_id=item.order_id, kind=ItemKind.DENIED)
    item_actions.record_item_appeal(
        denied, auth, by=specialist, level="1", deadline=soon(20), channel="fax"
    )
    html = specialist_web.get(URL).content.decode()
    reviews = html[html.index('id="reviews"') : html.index('id="snoozed"')]
    back = soon(18)
    assert "Appeal (Level 1)" in reviews
    assert f'<td class="deadline">{soon(20):%b} {soon(20).day}</td>' in reviews
    assert "20 d" in reviews
    assert f"parked until {back:%b} {back.day}" in reviews
    assert f'href="/items/{denied.pk}/"' in reviews
    # And it is gone from the work queue page.
    queue = specialist_web.get("/queue/").content.decode()
    assert f'data-item="{denied.pk}"' not in queue


def test_a_snoozed_item_leaves_the_queue_page_and_comes_back_at_the_top(
    specialist_web: Client,
) -> None:
    today = clock.today()
    first = make_item(due_in=1)
    snoozed = make_item(due_in=8)
    WorkItem.objects.filter(pk=snoozed.pk).update(follow_up_on=today + dt.timedelta(days=3))
    queue = specialist_web.get("/queue/").content.decode()
    assert f'data-item="{snoozed.pk}"' not in queue and f'data-item="{first.pk}"' in queue
    assert "1 item · as of" in queue  # the count leaves it out too
    pending = specialist_web.get(URL).content.decode()
    assert f'data-item="{snoozed.pk}"' in pending[pending.index('id="snoozed"') :]

    # Its day comes (here: the date moves to today, as time would bring it).
    WorkItem.objects.filter(pk=snoozed.pk).update(follow_up_on=today)
    queue = specialist_web.get("/queue/").content.decode()
    rows = re.findall(r'data-item="(\d+)"', queue)
    assert rows[0] == str(snoozed.pk)
    assert f"follow-up {today:%b} {today.day}" in row_of(queue, f'data-item="{snoozed.pk}"')
    assert "2 items · as of" in queue


def test_schedulers_and_people_without_a_role_get_403(
    scheduler_web: Client, outsider_web: Client, client: Client
) -> None:
    assert scheduler_web.get(URL).status_code == 403
    assert outsider_web.get(URL).status_code == 403
    assert client.get(URL).status_code == 302  # to sign in


def test_managers_see_it_and_the_read_is_audited(manager_web: Client, manager: User) -> None:
    auth = submitted("urgent", hours_ago=10)
    assert manager_web.get(URL).status_code == 200
    models = dict(AccessEvent.objects.filter(user=manager).values_list("model", "object_ids"))
    assert models["payers.authorization"] == [auth.pk]
    assert models["patients.order"] == [auth.order_id]


def _build(n: int, specialist: User) -> None:
    for i in range(n):
        submitted("routine", hours_ago=5 + i)
        snoozed = make_item(due_in=4)
        WorkItem.objects.filter(pk=snoozed.pk).update(follow_up_on=soon(3))


def test_the_page_costs_the_same_queries_for_2_or_8_of_each(
    specialist_web: Client, specialist: User, django_assert_max_num_queries
) -> None:  # noqa: ANN001
    item = missing_auth_item()
    auth = f.auth(order_of(item), status="submitted")
    item_actions.decide_for_item(
        item,
        auth,
        by=specialist,
        outcome="denied",
        denial_reason_code="medical_necessity",
        denial_reason="No",
    )
    denied = WorkItem.objects.open().get(order_id=item.order_id, kind=ItemKind.DENIED)
    item_actions.record_item_peer_review(denied, auth, by=specialist, request_by=soon(9))
    _build(2, specialist)
    specialist_web.get(URL)  # warm: rule book, permissions
    with django_assert_max_num_queries(25) as few:
        assert specialist_web.get(URL).status_code == 200
    n = len(few.captured_queries)  # before the next request resets the log
    _build(6, specialist)
    specialist_web.get(URL)  # the new payers' rules: the rule book is read again once
    with django_assert_max_num_queries(n):
        html = specialist_web.get(URL, **HTMX).content.decode()
    assert html.count('data-auth="') == 8


def test_the_item_page_says_why_it_refuses_a_past_follow_up_date(specialist_web) -> None:  # noqa: ANN001
    item = missing_auth_item()
    url = f"/items/{item.pk}/follow-up/"
    response = specialist_web.post(url, {"fu-follow_up_on": soon(-3).isoformat()}, **HTMX)
    assert "The follow-up date must be between today" in response.content.decode()
    item.refresh_from_db()
    assert item.follow_up_on is None


def test_a_requests_follow_up_date_is_its_items_own_when_one_is_set(
    specialist_web: Client,
) -> None:
    auth = submitted("routine", hours_ago=2)
    order = auth.order
    today = clock.today()
    for kind, follow_up in ((ItemKind.NO_COVERAGE, None), (ItemKind.VISIT_LIMIT, soon(5))):
        WorkItem.objects.create(
            order=order,
            kind=kind,
            queue="routine",
            due_date=soon(9),
            last_seen_as_of=today,
            follow_up_on=follow_up,
        )
    row = row_of(specialist_web.get(URL).content.decode(), f'data-auth="{auth.pk}"')
    assert f'<td class="follow">{soon(5):%b} {soon(5).day}</td>' in row
