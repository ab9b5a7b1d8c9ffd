"""Claiming items: claim next, claim a chosen item, release, assign; who may; at once."""

from __future__ import annotations

import re
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from tests.views.conftest import HTMX
from tests.views.items import make_item, make_items
from worklists import claiming
from worklists.models import ItemStatus, Queue, WorkItem, WorkItemEvent

pytestmark = pytest.mark.django_db


def test_claim_next_takes_the_top_stat_item(specialist: User) -> None:
    make_item(Queue.ROUTINE, due_in=-5)
    make_item(Queue.STAT, due_in=2)
    top = make_item(Queue.STAT, due_in=1)
    item = claiming.claim_next(specialist)
    assert item is not None and item.pk == top.pk
    top.refresh_from_db()
    assert (top.status, top.assignee_id) == (ItemStatus.IN_PROGRESS, specialist.pk)
    event = WorkItemEvent.objects.get(work_item=top)
    assert (event.kind, event.actor_id, event.data) == (
        "claimed",
        specialist.pk,
        {"queue": "stat", "next": True},
    )


def test_claim_next_skips_items_claimed_by_others(specialist: User, specialist2: User) -> None:
    first = make_item(Queue.STAT, due_in=0)
    second = make_item(Queue.STAT, due_in=1)
    claiming.claim(first, by=specialist2)
    assert claiming.claim_next(specialist).pk == second.pk  # type: ignore[union-attr]
    assert claiming.claim_next(specialist) is None


def test_claim_next_from_one_queue(specialist: User) -> None:
    make_item(Queue.STAT)
    routine = make_item(Queue.ROUTINE)
    assert claiming.claim_next(specialist, queue="routine").pk == routine.pk  # type: ignore[union-attr]


def test_claim_conflict_release_and_assign(
    specialist: User, specialist2: User, manager: User, scheduler: User
) -> None:
    item = make_item()
    claiming.claim(item, by=specialist)
    claiming.claim(item, by=specialist)  # again: no change
    with pytest.raises(claiming.ClaimError, match="already claimed"):
        claiming.claim(item, by=specialist2)
    with pytest.raises(claiming.ClaimError, match="Only the person"):
        claiming.release(item, by=scheduler)
    claiming.assign(item, to=specialist2, by=manager)
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk
    with pytest.raises(claiming.ClaimError, match="specialists"):
        claiming.assign(item, to=manager, by=manager)
    claiming.release(item, by=specialist2)
    item.refresh_from_db()
    assert (item.status, item.assignee_id) == (ItemStatus.OPEN, None)
    kinds = list(WorkItemEvent.objects.filter(work_item=item).values_list("kind", flat=True))
    assert kinds == ["claimed", "assigned", "released"]


def test_workers_are_the_people_who_work_items(
    specialist: User, specialist2: User, manager: User, scheduler: User
) -> None:
    assert list(claiming.workers()) == [specialist, specialist2]
    assert claiming.can_work_items(specialist) and not claiming.can_work_items(manager)
    assert claiming.can_assign_items(manager) and not claiming.can_assign_items(scheduler)


# --- the views ---------------------------------------------------------------------


def test_claim_next_view_redirects_to_the_item(specialist_web: Client) -> None:
    top = make_item(Queue.STAT)
    response = specialist_web.post("/queue/claim-next/")
    assert response.status_code == 302
    assert f"/items/{top.pk}/" in response["Location"] or response["Location"] == "/queue/"
    htmx = specialist_web.post("/queue/claim-next/", **HTMX)
    assert htmx.status_code == 409
    assert "queue is empty" in htmx.content.decode()
    assert htmx["HX-Retarget"] == "#flash"


def test_claim_next_view_htmx_sends_the_browser_to_the_item(specialist_web: Client) -> None:
    top = make_item(Queue.STAT)
    response = specialist_web.post("/queue/claim-next/", **HTMX)
    assert response.status_code == 200
    assert str(top.pk) in response["HX-Redirect"] or response["HX-Redirect"] == "/queue/"


def test_claim_view_conflict_is_409_for_htmx(specialist_web: Client, specialist2: User) -> None:
    item = make_item()
    claiming.claim(item, by=specialist2)
    response = specialist_web.post(f"/items/{item.pk}/claim/", **HTMX)
    assert response.status_code == 409
    assert "Someone else has already claimed" in response.content.decode()


def test_a_claim_a_colleague_won_redraws_the_row_with_its_new_owner(
    specialist_web: Client, specialist2: User
) -> None:
    item = make_item(Queue.STAT)
    other = make_item(Queue.ROUTINE)
    claiming.claim(item, by=specialist2)  # while the list still showed it unclaimed
    response = specialist_web.post(
        f"/items/{item.pk}/claim/", {"return_query": "queue=stat"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "HX-Retarget" not in response  # the whole list is swapped, not only the message
    assert html.lstrip().startswith('<div id="results"')
    assert 'class="msg msg-error">Someone else has already claimed this item.' in html
    row = re.search(rf'data-item="{item.pk}".*?</tr>', html, re.S)
    assert row and f"<td>{specialist2.username}</td>" in row.group(0)
    assert f"/items/{item.pk}/claim/" not in row.group(0)  # no Claim button any more
    assert f'data-item="{other.pk}"' not in html  # the filters it was posted with still apply
    plain = specialist_web.post(f"/items/{item.pk}/claim/", {"return_query": "queue=routine"})
    assert (plain.status_code, plain["Location"]) == (302, "/queue/?queue=routine")


def test_claim_view_htmx_refreshes_the_list_with_the_filters(
    specialist_web: Client, specialist: User
) -> None:
    item = make_item(Queue.STAT)
    make_item(Queue.ROUTINE)
    response = specialist_web.post(
        f"/items/{item.pk}/claim/", {"return_query": "queue=stat"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert html.count('data-item="') == 1
    assert "You claimed item" in html
    item.refresh_from_db()
    assert item.assignee_id == specialist.pk


def test_release_and_assign_views(
    specialist_web: Client, specialist: User, specialist2: User
) -> None:
    item = make_item()
    specialist_web.post(f"/items/{item.pk}/claim/")
    specialist_web.post(f"/items/{item.pk}/assign/", {"to": specialist2.pk})
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk
    # Now a colleague's item: only specialist2 (or a manager) may release it.
    specialist_web.post(f"/items/{item.pk}/release/")
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk
    claiming.release(item, by=specialist2)
    item.refresh_from_db()
    assert item.assignee_id is None
    bad = specialist_web.post(f"/items/{item.pk}/assign/", {"to": 999999}, **HTMX)
    assert bad.status_code == 409


def test_manager_assigns_but_cannot_claim(manager_web: Client, specialist: User) -> None:
    item = make_item()
    assert manager_web.post(f"/items/{item.pk}/claim/").status_code == 403
    assert manager_web.post("/queue/claim-next/").status_code == 403
    assert manager_web.post(f"/items/{item.pk}/assign/", {"to": specialist.pk}).status_code == 302
    item.refresh_from_db()
    assert item.assignee_id == specialist.pk


@pytest.mark.parametrize("persona", ["scheduler_web", "outsider_web"])
def test_no_queue_role_cannot_claim_release_or_assign(
    request: pytest.FixtureRequest, persona: str, specialist: User
) -> None:
    web: Client = request.getfixturevalue(persona)
    item = make_item()
    for url, data in [
        ("/queue/claim-next/", {}),
        (f"/items/{item.pk}/claim/", {}),
        (f"/items/{item.pk}/release/", {}),
        (f"/items/{item.pk}/assign/", {"to": specialist.pk}),
    ]:
        assert web.post(url, data).status_code == 403, url
    item.refresh_from_db()
    assert item.assignee_id is None


def test_anonymous_actions_go_to_sign_in(client: Client) -> None:
    item = make_item()
    response = client.post(f"/items/{item.pk}/claim/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_actions_refuse_get_and_unknown_items(specialist_web: Client) -> None:
    item = make_item()
    assert specialist_web.get(f"/items/{item.pk}/claim/").status_code == 405
    assert specialist_web.get("/queue/claim-next/").status_code == 405
    assert specialist_web.post("/items/987654/claim/").status_code == 404


def test_csrf_is_enforced_on_actions(specialist: User) -> None:
    web = Client(enforce_csrf_checks=True)
    web.force_login(specialist)
    item = make_item()
    assert web.post(f"/items/{item.pk}/claim/").status_code == 403
    assert web.post("/queue/claim-next/", **HTMX).status_code == 403
    web.get("/queue/")
    token = web.cookies["csrftoken"].value
    ok = web.post(f"/items/{item.pk}/claim/", HTTP_X_CSRFTOKEN=token, **HTMX)
    assert ok.status_code == 200


# --- at the same moment --------------------------------------------------------------


def _at_once(workers: list, target) -> list:  # type: ignore[type-arg]
    """Run target(user) in one thread per user, released together; return results in order."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(i: int, user: User) -> None:
        try:
            barrier.wait()
            results[i] = target(user)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_specialists_claiming_next_at_once_get_different_items(
    specialist: User, specialist2: User
) -> None:
    make_items(3, Queue.STAT)
    got = _at_once([specialist, specialist2], lambda u: claiming.claim_next(u))
    assert all(got) and got[0].pk != got[1].pk
    assert WorkItem.objects.filter(status=ItemStatus.IN_PROGRESS).count() == 2


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_ten_claims_at_once_on_five_items(make_user) -> None:  # type: ignore[no-untyped-def]
    from accounts import roles

    people = [make_user(f"s{i}", roles.SPECIALIST) for i in range(10)]
    make_items(5, Queue.STAT)
    got = _at_once(people, lambda u: claiming.claim_next(u))
    claimed = [item.pk for item in got if item is not None]
    assert len(claimed) == 5 and len(set(claimed)) == 5
    assert got.count(None) == 5
    assert WorkItem.objects.filter(assignee__isnull=True).count() == 0


def test_a_specialist_is_refused_a_colleagues_item_and_a_manager_is_not(
    specialist_web: Client, manager_web: Client, specialist: User, specialist2: User
) -> None:
    item = make_item()
    claiming.claim(item, by=specialist2)
    release = f"/items/{item.pk}/release/"
    refused = specialist_web.post(release, **HTMX)
    assert refused.status_code == 409
    assert (
        "Only the person working this item or a manager can release it." in refused.content.decode()
    )
    page = specialist_web.post(release, follow=True).content.decode()
    assert "Only the person working this item or a manager can release it." in page
    moved = specialist_web.post(f"/items/{item.pk}/assign/", {"to": specialist.pk}, **HTMX)
    assert moved.status_code == 409 and "only they or a manager" in moved.content.decode()
    item.refresh_from_db()
    assert item.assignee_id == specialist2.pk

    # The row offers a specialist neither Release nor Assign on a colleague's item.
    html = specialist_web.get("/queue/").content.decode()
    row = html[html.index(f'data-item="{item.pk}"') :].split("</tr>")[0]
    assert "Release" not in row and "Assign" not in row
    html = manager_web.get("/queue/").content.decode()
    row = html[html.index(f'data-item="{item.pk}"') :].split("</tr>")[0]
    assert "Release" in row and "Assign" in row
    assert manager_web.post(release).status_code == 302
    item.refresh_from_db()
    assert item.assignee_id is None


def test_a_note_from_the_item_page_claims_the_unclaimed_item(
    specialist_web: Client, specialist: User
) -> None:
    from tests.views.item_fixtures import missing_auth_item

    item = missing_auth_item()
    response = specialist_web.post(f"/items/{item.pk}/note/", {"note-text": "Called the payer"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.assignee_id, item.status) == (specialist.pk, ItemStatus.IN_PROGRESS)
    claimed = WorkItemEvent.objects.get(work_item=item, kind="claimed")
    assert claimed.data == {"queue": item.queue, "acting": True}
