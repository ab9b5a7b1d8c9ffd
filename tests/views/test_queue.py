"""The queue page: who may see it, its order, filters, counts, paging and refresh."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from tests.views.conftest import BACKGROUND, HTMX
from tests.views.items import make_item, make_items
from worklists.models import ItemKind, ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db

QUEUE = "/queue/"


def shown_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-item="(\d+)"', html)]


def test_queue_url_name() -> None:
    assert reverse("worklists:queue") == QUEUE


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/queue/")


def test_scheduler_cannot_see_queues(scheduler_web: Client) -> None:
    assert scheduler_web.get(QUEUE).status_code == 403
    assert scheduler_web.get(QUEUE, **HTMX).status_code == 403


def test_outsider_cannot_see_queues(outsider_web: Client) -> None:
    assert outsider_web.get(QUEUE).status_code == 403


def test_home_sends_specialists_and_managers_to_the_queue(
    specialist_web: Client, manager_web: Client
) -> None:
    for web in (specialist_web, manager_web):
        response = web.get("/")
        assert response.status_code == 302
        assert response["Location"] == QUEUE


def test_home_refuses_an_account_without_a_role(outsider_web: Client) -> None:
    assert outsider_web.get("/").status_code == 403


def test_home_sends_anonymous_to_sign_in(client: Client) -> None:
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_stat_items_come_first_then_due_date(specialist_web: Client) -> None:
    late_routine = make_item(Queue.ROUTINE, due_in=9)
    early_routine = make_item(Queue.ROUTINE, due_in=-2)
    stat_later = make_item(Queue.STAT, due_in=1)
    stat_first = make_item(Queue.STAT, due_in=0)
    html = specialist_web.get(QUEUE).content.decode()
    assert shown_ids(html) == [stat_first.pk, stat_later.pk, early_routine.pk, late_routine.pk]


def test_closed_items_are_not_listed(specialist_web: Client) -> None:
    kept = make_item()
    gone = make_item()
    gone.status = ItemStatus.DISMISSED
    gone.resolved_at = gone.created_at
    gone.save()
    assert shown_ids(specialist_web.get(QUEUE).content.decode()) == [kept.pk]


def test_overdue_items_stand_out(specialist_web: Client) -> None:
    late = make_item(due_in=-1)
    html = specialist_web.get(QUEUE).content.decode()
    assert re.search(rf'class="row routine overdue"[^>]*data-item="{late.pk}"', html)
    assert "Overdue" in html


def test_counts_per_queue_and_kind(specialist_web: Client) -> None:
    make_items(2, Queue.STAT)
    make_item(Queue.STAT, kind=ItemKind.DENIED, due_in=-3)
    make_items(3, Queue.ROUTINE, kind=ItemKind.AUTH_EXPIRING)
    summary = specialist_web.get(QUEUE).context["summary"]
    stat, routine, billing = summary
    assert (billing["value"], billing["n"], billing["kinds"]) == ("billing", 0, [])
    assert (stat["value"], stat["n"], stat["overdue"], stat["unclaimed"]) == ("stat", 3, 1, 3)
    assert {k["value"]: k["n"] for k in stat["kinds"]} == {"missing_auth": 2, "denied": 1}
    assert (routine["n"], [k["value"] for k in routine["kinds"]]) == (3, ["auth_expiring"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("queue=stat", {"stat"}),
        ("kind=denied", {"denied"}),
        ("overdue=on", {"late"}),
        ("due_within=1", {"late", "stat"}),
        ("category=imaging", {"imaging"}),
        ("department=Ortho", {"ortho"}),
        ("assignee=none", {"stat", "denied", "late", "imaging", "ortho", "payer"}),
    ],
)
def test_filters(specialist_web: Client, query: str, expected: set[str]) -> None:
    named = {
        "stat": make_item(Queue.STAT, due_in=1),
        "denied": make_item(kind=ItemKind.DENIED, due_in=4),
        "late": make_item(due_in=-2),
        "imaging": make_item(due_in=6),
        "ortho": make_item(due_in=7, department="Ortho"),
        "payer": make_item(due_in=8),
    }
    named["imaging"].order.service_category = "imaging"
    named["imaging"].order.save()
    mine = make_item(due_in=3)
    mine.assignee = User.objects.get(username="spec1")
    mine.save()
    named["mine"] = mine  # assigned, routine, due in 3 days: matches none of these filters
    ids = shown_ids(specialist_web.get(f"{QUEUE}?{query}").content.decode())
    assert {name for name, item in named.items() if item.pk in ids} == expected


def test_payer_filter_uses_the_primary_coverage_active_today(specialist_web: Client) -> None:
    acme = f.payer("ACME", name="Acme Health")
    with_acme = make_item(payer=acme)
    make_item()
    secondary = make_item()
    f.coverage(secondary.order.patient, acme, rank=2)
    html = specialist_web.get(f"{QUEUE}?payer={acme.pk}").content.decode()
    assert shown_ids(html) == [with_acme.pk]
    assert "Acme Health" in html


def test_my_items(specialist_web: Client, specialist: User, specialist2: User) -> None:
    mine = make_item(assignee=specialist, status=ItemStatus.IN_PROGRESS)
    make_item(assignee=specialist2, status=ItemStatus.IN_PROGRESS)
    make_item()
    assert shown_ids(specialist_web.get(f"{QUEUE}?mine=on").content.decode()) == [mine.pk]
    by_id = specialist_web.get(f"{QUEUE}?assignee={specialist2.pk}").content.decode()
    assert len(shown_ids(by_id)) == 1


def test_invalid_filters_show_everything_and_the_error(specialist_web: Client) -> None:
    make_items(2)
    response = specialist_web.get(f"{QUEUE}?due_within=-4&kind=nonsense")
    assert response.status_code == 200
    assert len(shown_ids(response.content.decode())) == 2
    assert response.context["form"].errors


def test_paging(specialist_web: Client) -> None:
    make_items(55)
    first = shown_ids(specialist_web.get(QUEUE).content.decode())
    second = shown_ids(specialist_web.get(f"{QUEUE}?page=2").content.decode())
    assert (len(first), len(second)) == (50, 5)
    assert not set(first) & set(second)


def test_htmx_request_gets_only_the_results_partial(specialist_web: Client) -> None:
    make_item(Queue.STAT)
    html = specialist_web.get(f"{QUEUE}?queue=stat", **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html


def test_auto_refresh_keeps_the_filters_and_is_marked_background(specialist_web: Client) -> None:
    html = specialist_web.get(f"{QUEUE}?queue=stat&overdue=on").content.decode()
    poller = re.search(r'<div hidden hx-get="([^"]+)"\s+hx-trigger="every 30s[^"]*"', html)
    assert poller is not None
    assert poller.group(1) == "/queue/?queue=stat&amp;overdue=on"
    assert '"X-Authq-Background": "1"' in html
    # The refresh itself answers with the partial.
    assert specialist_web.get("/queue/?queue=stat&overdue=on", **BACKGROUND).status_code == 200


@pytest.mark.parametrize("n", [5, 50])
def test_queries_per_page_are_flat(
    specialist_web: Client, django_assert_max_num_queries: object, n: int
) -> None:
    make_items(n // 2, Queue.STAT)
    make_items(n - n // 2, Queue.ROUTINE, department="PT")
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        response = specialist_web.get(f"{QUEUE}?department=PT")
    assert response.status_code == 200


def test_manager_sees_the_queue_but_no_claim_buttons(manager_web: Client) -> None:
    make_item()
    html = manager_web.get(QUEUE).content.decode()
    assert "Claim next" not in html
    assert ">Claim<" not in html
    assert "Assign…" in html


def test_get_changes_no_rows(specialist_web: Client) -> None:
    item = make_item()
    before = (item.status, item.assignee_id, item.updated_at)
    specialist_web.get(QUEUE)
    specialist_web.get(QUEUE, **BACKGROUND)
    item.refresh_from_db()
    assert (item.status, item.assignee_id, item.updated_at) == before


def _pager_link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="\?([^"]+)"[^>]*rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_next_and_previous_walk_the_whole_queue_by_keyset(specialist_web: Client) -> None:
    # 130 items over 2 queues, same due dates and empty first visits among them: ties
    # are broken by id, as the queue order does.
    make_items(40, Queue.STAT)
    make_items(90, Queue.ROUTINE)
    some = list(WorkItem.objects.values_list("id", flat=True))[::7]
    WorkItem.objects.filter(pk__in=some).update(first_service_date=None)
    everything = list(WorkItem.objects.open().in_queue_order().values_list("id", flat=True))

    seen, query, pages = [], "", []
    while True:
        html = specialist_web.get(f"{QUEUE}?{query}").content.decode()
        pages.append(re.search(r"page (\d+) of (\d+)", html).groups())  # type: ignore[union-attr]
        seen.append(shown_ids(html))
        query = _pager_link(html, "next")
        if query is None:
            break
        assert "after=" in query and "page=" in query
    assert [i for page in seen for i in page] == everything
    assert pages == [("1", "3"), ("2", "3"), ("3", "3")]

    # Back from the last page: the same pages, by `before=` (then page 1 by number).
    back = []
    query = _pager_link(html, "prev")
    while query is not None:
        html = specialist_web.get(f"{QUEUE}?{query}").content.decode()
        back.append(shown_ids(html))
        query = _pager_link(html, "prev")
    assert back == seen[-2::-1]


def test_keyset_links_keep_the_filters(specialist_web: Client) -> None:
    make_items(55, Queue.STAT)
    make_items(3, Queue.ROUTINE)
    html = specialist_web.get(f"{QUEUE}?queue=stat").content.decode()
    nxt = _pager_link(html, "next")
    assert nxt is not None and "queue=stat" in nxt
    second = specialist_web.get(f"{QUEUE}?{nxt}").content.decode()
    assert len(shown_ids(second)) == 5 and "page 2 of 2" in second


def test_a_malformed_place_falls_back_to_the_page_number(specialist_web: Client) -> None:
    make_items(55)
    for bad in ("after=1.2026-13-01.x.5", "before=7.2026-01-01.2026-01-01.1", "after=...."):
        response = specialist_web.get(f"{QUEUE}?page=2&{bad}")
        assert response.status_code == 200
        assert len(shown_ids(response.content.decode())) == 5


@pytest.mark.parametrize(
    "query",
    ["queue=stat", "kind=denied", "overdue=on", "due_within=2", "assignee=none",
     "queue=routine&overdue=on&assignee=none", "queue=stat&due_within=0&kind=missing_auth"],
)  # fmt: skip
def test_filtered_counts_from_the_count_rows_match_the_items(
    specialist_web: Client, specialist: User, query: str
) -> None:
    make_items(6, Queue.STAT)
    make_items(9, Queue.ROUTINE)
    make_item(Queue.STAT, kind=ItemKind.DENIED, due_in=-1)
    make_item(Queue.ROUTINE, due_in=-2)
    make_item(Queue.ROUTINE, due_in=-4, assignee=specialist)
    for item in WorkItem.objects.all()[:5]:
        item.assignee = specialist
        item.save()
    with CaptureQueriesContext(connection) as queries:
        response = specialist_web.get(f"{QUEUE}?{query}")
    shown = shown_ids(response.content.decode())
    assert response.context["page"].count == len(shown) > 0
    # Counted from the overview's count rows, not by counting the items.
    assert not [q for q in queries if "COUNT(" in q["sql"] and '"worklists_workitem"' in q["sql"]]


def test_the_unassigned_filter_reads_the_colleagues_from_the_cache(
    specialist_web: Client,
) -> None:
    """ "Unassigned" is the form's own choice: it must not count as a colleague missing from
    the cached list (which would read the colleagues again on every such page)."""
    make_items(3, Queue.STAT)

    def queries_for(query: str) -> int:
        specialist_web.get(f"{QUEUE}?{query}")  # the choices are cached
        with CaptureQueriesContext(connection) as queries:
            assert specialist_web.get(f"{QUEUE}?{query}").status_code == 200
        return len(queries)

    # Both are counted from the count rows; neither needs the colleagues read again.
    assert queries_for("assignee=none") == queries_for("queue=stat")
