"""R4: PostgreSQL restarted (`pg_ctl restart -m fast`) while people use authq and while a
scan runs. authq's processes (gunicorn's workers, a Celery worker) run against a
PostgreSQL server of the test's own (tests/faults/postgres.py) with the database
connection settings as deployed (connections kept 60 s, checked before reuse); none of
them is restarted. Requests fail only while the server restarts; the interrupted scan
finishes, and run again gives the items a scan of the undisturbed copy gives."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from accounts import roles
from authq.celery import app as celery_app
from tests.faults.live import (
    WAIT_SECONDS,
    Answer,
    Person,
    WebServer,
    at_once,
    celery,
    children,
    session_cookie,
    stop,
    wait_for,
)
from tests.faults.postgres import PostgresServer
from tests.security.servers import ROOT, subprocess_env
from tests.views.item_fixtures import missing_auth_item
from worklists.models import WorkItem, WorkItemEvent
from worklists.scan import runs

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

PEOPLE = 6
AS_OF = dt.date(2026, 3, 2)
# What the deployed processes get (authq/settings.py's default): kept connections.
AS_DEPLOYED = {"DATABASE_CONN_MAX_AGE": "60"}


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


def test_requests_fail_only_while_postgresql_restarts(make_user, postgres, tmp_path):
    users = [make_user(f"r4-{n}", roles.SPECIALIST) for n in range(PEOPLE)]
    items = [missing_auth_item() for _ in users]
    cookies = [session_cookie(user) for user in users]  # signed in before the copy
    postgres.copy_test_database()
    server = WebServer(
        tmp_path / "gunicorn.log", workers=2, DATABASE_URL=postgres.url, **AS_DEPLOYED
    )
    try:
        people = [Person(server, u, c) for u, c in zip(users, cookies, strict=True)]
        item_of = {person.user.pk: item for person, item in zip(people, items, strict=True)}
        answers: dict[int, list[Answer]] = {person.user.pk: [] for person in people}
        lock = threading.Lock()

        def every() -> list[Answer]:
            with lock:
                return [answer for mine in answers.values() for answer in mine]

        def work(person: Person) -> Answer:
            """The queue, the item, a note."""
            item = item_of[person.user.pk]
            done = [
                person.get("/queue/"),
                person.get(f"/items/{item.pk}/"),
                person.post(f"/items/{item.pk}/note/", {"note-text": "Checked"}, htmx=True),
            ]
            with lock:
                answers[person.user.pk].extend(done)
            return done[-1]

        assert [a.status for a in at_once(people, claim(item_of))] == [200] * PEOPLE
        web_workers = server.workers()
        at_once(people, work)
        # Restarted while nobody works: every worker's kept connection is gone, and the
        # next requests (checked before reuse) all succeed.
        postgres.restart()
        at_once(people, work)
        assert [a.status for a in every() if a.status != 200] == [], server.output()
        for mine in answers.values():
            mine.clear()

        # Restarted while everyone works: only requests under way meanwhile may fail.
        stopping = threading.Event()

        def keep_working(person: Person) -> None:
            while not stopping.is_set():
                work(person)

        def answered_since(moment: float) -> bool:
            """Everyone has done their work once (3 requests) since `moment`."""
            with lock:
                return all(sum(a.started > moment for a in mine) >= 3 for mine in answers.values())

        threads = [threading.Thread(target=keep_working, args=(p,)) for p in people]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: answered_since(0), "everyone is at work", WAIT_SECONDS * 2)
            restart_began = time.monotonic()
            postgres.restart()
            restart_ended = time.monotonic()
            wait_for(
                lambda: answered_since(restart_ended),
                "everyone works on after the restart",
                WAIT_SECONDS * 2,
            )
        finally:
            stopping.set()
            for thread in threads:
                thread.join(timeout=WAIT_SECONDS * 2)
        assert not any(thread.is_alive() for thread in threads), "a request never came back"

        outside = [a for a in every() if a.ended < restart_began or a.started > restart_ended]
        assert [a.status for a in outside if a.status != 200] == [], server.output()
        # People were at work through the restart: some request was under way during it.
        assert any(a.started <= restart_ended and a.ended >= restart_began for a in every())
        # Nobody restarted anything: the same gunicorn and the same workers serve on.
        assert server.proc.poll() is None
        assert server.workers() == web_workers
    finally:
        server.stop()


def claim(item_of: dict[int, WorkItem]) -> Callable[[Person], Answer]:
    def act(person: Person) -> Answer:
        return person.post(f"/items/{item_of[person.user.pk].pk}/claim/", htmx=True)

    return act


def items_in(postgres: PostgresServer) -> list[tuple[object, ...]]:
    with postgres.connect() as conn:
        rows = conn.execute(
            "SELECT order_id, kind, queue, status, first_service_date, due_date "
            "FROM worklists_workitem"
        ).fetchall()
    return sorted(rows)


def scan_runs_in(postgres: PostgresServer) -> list[tuple[object, ...]]:
    with postgres.connect() as conn:
        return conn.execute(
            "SELECT id, trigger, orders_scanned, finished_at IS NOT NULL, "
            "abandoned_at IS NOT NULL FROM worklists_scanrun ORDER BY id"
        ).fetchall()


def chunk_waiting(postgres: PostgresServer) -> bool:
    with postgres.connect() as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()
        )


def test_a_scan_interrupted_by_a_postgresql_restart_finishes_and_run_again_gives_the_same_items(
    postgres, tmp_path
):
    roles.ensure_roles()
    call_command(
        "seed_demo", "--patients", "24", "--seed", "7", "--as-of", str(AS_OF),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    postgres.copy_test_database()
    # The undisturbed copy: what one scan of the same records opens.
    assert runs.run_scan(as_of=AS_OF) is not None
    expected = sorted(
        WorkItem.objects.values_list(
            "order_id", "kind", "queue", "status", "first_service_date", "due_date"
        )
    )
    assert len(expected) > 5 and WorkItemEvent.objects.exists()
    with postgres.connect() as conn:
        orders = conn.execute("SELECT count(*) FROM patients_order").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM worklists_workitem").fetchone() == (0,)

    queue = f"r4-{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": postgres.url,
        "AUTHQ_SCAN_CHUNK_SIZE": "6",
        **AS_DEPLOYED,
    }
    log = tmp_path / "worker.log"
    worker = celery(
        ["worker", "-Q", queue, "--pool", "prefork", "--concurrency", "2", "-l", "info",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        log, **env,
    )  # fmt: skip
    try:
        wait_for(lambda: " ready." in log.read_text(), "the worker is ready", WAIT_SECONDS * 3)
        pool = worker_children(worker.pid)
        # Hold the chunks back: each waits for this lock, mid-transaction, as the restart
        # comes (which ends this session too, and with it the lock).
        holder = postgres.connect()
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE worklists_scanrunchunk IN EXCLUSIVE MODE")
        celery_app.send_task(
            "worklists.tasks.scan_authorizations", kwargs={"as_of": str(AS_OF)}, queue=queue
        )
        wait_for(lambda: chunk_waiting(postgres), "a chunk of the scan is under way", 120)
        postgres.restart()
        holder.close()

        def finished() -> bool:
            return any(run[3] for run in scan_runs_in(postgres))

        wait_for(finished, "the interrupted scan finishes", WAIT_SECONDS * 3)
        retried = [line for line in log.read_text().splitlines() if "retry: Retry in" in line]
        assert any("scan_chunk" in line for line in retried)  # the restart cut a chunk off
        ((_, trigger, scanned, _, abandoned),) = scan_runs_in(postgres)
        assert (trigger, scanned, abandoned) == ("beat", orders, False)
        assert items_in(postgres) == expected, log.read_text()[-3000:]
        # The worker was not restarted by hand, nor its pool processes by Celery.
        assert worker.poll() is None
        assert worker_children(worker.pid) == pool
    finally:
        stop(worker)
    # Run again (the scan command, as an administrator would): the same items.
    again = scan_command(postgres)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Scanned {orders} orders" in again.stdout and "0 opened" in again.stdout
    assert items_in(postgres) == expected
    assert [run[1:] for run in scan_runs_in(postgres)] == [
        ("beat", orders, True, False),
        ("command", orders, True, False),
    ]


def worker_children(pid: int) -> list[int]:
    return sorted(children(pid))


def scan_command(postgres: PostgresServer) -> subprocess.CompletedProcess[str]:
    """`manage.py scan_authorizations` against the restarted server."""
    return subprocess.run(
        [sys.executable, "manage.py", "scan_authorizations", "--as-of", str(AS_OF)],
        cwd=ROOT, env=subprocess_env(DATABASE_URL=postgres.url), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
