"""R13: a web worker killed under load; gunicorn's master starts another, and people see
under 1% errors meanwhile."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from accounts import roles
from tests.faults.live import Answer, Person, WebServer, wait_for
from tests.views.items import make_items

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

REQUESTS = 300  # in all, from 4 people, one after another each
PEOPLE = 4


def test_a_web_worker_killed_under_load_is_replaced_with_under_one_percent_errors(
    make_user, tmp_path
):
    make_items(5)
    server = WebServer(tmp_path / "gunicorn.log", workers=3)  # sync workers, as deployed
    try:
        people = [Person(server, make_user(f"web-{i}", roles.SPECIALIST)) for i in range(PEOPLE)]
        before = server.workers()
        answers: list[Answer] = []
        lock = threading.Lock()

        def browse(person: Person) -> None:
            for _ in range(REQUESTS // PEOPLE):
                answer = person.get("/queue/")
                with lock:
                    answers.append(answer)

        threads = [threading.Thread(target=browse, args=(p,)) for p in people]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(answers) >= REQUESTS // 4, "a quarter of the requests answered")
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)

        # The master is the same process, with a new worker in place of the killed one.
        assert server.proc.poll() is None
        wait_for(lambda: len(server.workers()) == 3, "the master replaces the worker")
        after = server.workers()
        assert victim not in after and len(set(after) - set(before)) == 1
        errors = [a for a in answers if a.status != 200]
        assert len(answers) == REQUESTS
        assert len(errors) < REQUESTS / 100, ([a.status for a in errors], server.output())
        assert "Queue" in answers[-1].text
    finally:
        server.stop()
