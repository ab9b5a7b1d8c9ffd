"""R6 and R7: many specialists press "claim next" at once against a real server.

authq runs under gunicorn (2 workers of 8 threads, each request on a database
connection of its own); each specialist is a thread sending real HTTP requests.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User

from accounts import roles
from tests.faults.live import Answer, Person, WebServer, at_once
from tests.views.items import make_item
from worklists.models import ItemStatus, Queue, WorkItem, WorkItemEvent

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

ITEM_URL = re.compile(r"^/items/(\d+)/")


@pytest.fixture(scope="module")
def server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """One server for the module's tests (it keeps nothing between them but its log)."""
    web = WebServer(tmp_path_factory.mktemp("web") / "gunicorn.log", workers=2, threads=8)
    try:
        yield web
    finally:
        web.stop()


def specialists(make_user: Callable[..., User], server: WebServer, n: int) -> list[Person]:
    return [Person(server, make_user(f"load-{i:02d}", roles.SPECIALIST)) for i in range(n)]


def claim_next(person: Person) -> Answer:
    return person.post("/queue/claim-next/", htmx=True)


def claimed_item(answer: Answer) -> int | None:
    """The item a claim-next answer sends the browser to (None: the queue was empty)."""
    if answer.status == 200:
        match = ITEM_URL.match(answer.headers.get("HX-Redirect", ""))
        assert match, answer.headers
        return int(match.group(1))
    assert answer.status == 409 and "queue is empty" in answer.text, (answer.status, answer.text)
    return None


def test_fifty_specialists_claim_next_on_forty_items_at_once(make_user, server):
    items = {
        make_item(Queue.STAT if i % 4 == 0 else Queue.ROUTINE, due_in=i % 9).pk for i in range(40)
    }
    people = specialists(make_user, server, 50)

    answers = at_once(people, claim_next)

    assert [a.status for a in answers].count(0) == 0, server.output()  # every one answered
    assert not [a for a in answers if a.status >= 500], server.output()
    got = [claimed_item(a) for a in answers]
    claimed = [pk for pk in got if pk is not None]
    assert len(claimed) == 40 and got.count(None) == 10
    assert sorted(claimed) == sorted(items)  # no item twice
    # The database agrees: each item in progress with the person whose answer named it.
    owners = dict(WorkItem.objects.values_list("pk", "assignee_id"))
    for person, pk in zip(people, got, strict=True):
        if pk is not None:
            assert owners[pk] == person.user.pk
    assert set(WorkItem.objects.values_list("status", flat=True)) == {ItemStatus.IN_PROGRESS}
    assert WorkItemEvent.objects.filter(kind="claimed").count() == 40
    assert "deadlock" not in server.output().lower()


def test_fifty_specialists_claiming_the_same_item_one_wins(make_user, server):
    item = make_item(Queue.STAT)
    people = specialists(make_user, server, 50)

    answers = at_once(people, lambda p: p.post(f"/items/{item.pk}/claim/", htmx=True))

    statuses = [a.status for a in answers]
    assert statuses.count(200) == 1 and statuses.count(409) == 49, (statuses, server.output())
    assert all("Someone else has already claimed" in a.text for a in answers if a.status == 409)
    winner = people[statuses.index(200)].user
    item.refresh_from_db()
    assert (item.status, item.assignee_id) == (ItemStatus.IN_PROGRESS, winner.pk)
    assert list(WorkItemEvent.objects.values_list("kind", "actor_id")) == [("claimed", winner.pk)]


def test_stat_items_are_claimed_before_any_routine_item_under_load(make_user, server):
    """R7: 20 specialists keep pressing "claim next" until the queue is empty. The routine
    items are due sooner, so an order by due date alone would hand them out first."""
    stat = {make_item(Queue.STAT, due_in=6).pk for _ in range(20)}
    routine = {make_item(Queue.ROUTINE, due_in=i % 3).pk for i in range(60)}
    people = specialists(make_user, server, 20)
    answers: list[tuple[int, Answer]] = []
    lock = threading.Lock()

    def keep_claiming(person: Person) -> Answer:
        while True:
            answer = claim_next(person)
            pk = claimed_item(answer)
            if pk is None:
                return answer
            with lock:
                answers.append((pk, answer))

    at_once(people, keep_claiming)

    claimed = [pk for pk, _ in answers]
    assert sorted(claimed) == sorted(stat | routine)  # every item, none twice
    # No STAT item went to a request sent after a routine item had been handed out.
    first_routine_answered = min(a.ended for pk, a in answers if pk in routine)
    last_stat_sent = max(a.started for pk, a in answers if pk in stat)
    assert last_stat_sent < first_routine_answered
