"""R3: Redis stopped for a minute while 20 specialists work (pages, claim, a note, a patient email)
through a live server: every request succeeds (sessions and lockouts are in PostgreSQL,
the cache fails open), and the emails the task queue could not take while it was down
are handed to it when it returns and sent, each once."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pytest

from accounts import roles
from tests.faults.live import (
    Answer,
    Person,
    RedisServer,
    WebServer,
    at_once,
    celery,
    stop,
    wait_for,
)
from tests.smtp_server import smtp_server
from tests.views.item_fixtures import missing_auth_item
from worklists.models import NotificationStatus, PatientNotification, WorkItem

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

PEOPLE = 20
OUTAGE_SECONDS = (
    60  # a minute, as R3 says; at least: the round of work under way then finishes first
)
NOTIFY = {"notify-template": "requesting", "notify-channel": "email", "notify-extra": ""}


def work_an_item(person: Person, item: WorkItem, round_no: int) -> list[Answer]:
    """What a specialist does with their item: the queue, the item, claim, a note, an email."""
    answers = [
        person.get("/queue/"),
        person.get(f"/items/{item.pk}/"),
        person.post(f"/items/{item.pk}/claim/", htmx=True),
        person.post(f"/items/{item.pk}/note/", {"note-text": f"Round {round_no}"}, htmx=True),
    ]
    shown = person.post(f"/items/{item.pk}/notify/preview/", NOTIFY, htmx=True)
    answers.append(shown)
    digest = re.search(r'name="notify-digest" value="([0-9a-f]+)"', shown.text)
    if digest:
        sent = person.post(
            f"/items/{item.pk}/notify/", {**NOTIFY, "notify-digest": digest.group(1)}, htmx=True
        )
        answers.append(sent)
        assert "Email queued" in sent.text, sent.text[:500]
    return answers


def failures(answers: list[Answer]) -> list[int]:
    return [a.status for a in answers if a.status != 200]


def test_with_redis_stopped_every_request_succeeds_and_no_email_is_lost(make_user, tmp_path):
    redis = RedisServer(tmp_path)
    items = [missing_auth_item() for _ in range(PEOPLE)]
    server = WebServer(tmp_path / "gunicorn.log", workers=2, threads=4, REDIS_URL=redis.url)
    procs = []
    try:
        people = [Person(server, make_user(f"r3-{i:02d}", roles.SPECIALIST)) for i in range(PEOPLE)]
        mine = {person.user.pk: item for person, item in zip(people, items, strict=True)}
        answers: list[Answer] = []
        lock = threading.Lock()

        def round_of(no: int) -> Callable[[Person], Answer]:
            def act(person: Person) -> Answer:
                done = work_an_item(person, mine[person.user.pk], no)
                with lock:
                    answers.extend(done)
                return done[-1]

            return act

        at_once(people, round_of(1))  # Redis up
        redis.stop()
        # Redis down for OUTAGE_SECONDS: a round of work as it goes, another once that
        # long has passed; the emails cannot be queued meanwhile.
        down_since = time.monotonic()
        at_once(people, round_of(2))
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
        at_once(people, round_of(3))
        waiting = PatientNotification.objects.filter(handed_over_at=None)
        assert waiting.count() == 2 * PEOPLE  # kept, queued, waiting for the task queue
        redis.start()
        at_once(people, round_of(4))  # back
        rounds = 4
        assert len(answers) == rounds * PEOPLE * 6
        assert not failures(answers), (failures(answers), server.output())
    finally:
        server.stop()

    with smtp_server() as (port, mailbox):
        env = {
            "REDIS_URL": redis.url,
            "AUTHQ_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "AUTHQ_EMAIL_HOST": "127.0.0.1",
            "AUTHQ_EMAIL_PORT": str(port),
            "AUTHQ_EMAIL_USE_TLS": "0",
            "AUTHQ_EMAIL_REQUEUE_SECONDS": "1",
            "AUTHQ_SCAN_INTERVAL_SECONDS": "3600",
        }
        try:
            procs.append(
                celery(["worker", "--pool", "solo", "-l", "info", "--without-heartbeat",
                        "--without-gossip", "--without-mingle"], tmp_path / "worker.log", **env)
            )  # fmt: skip
            procs.append(
                celery(["beat", "-l", "info", "-s", str(tmp_path / "beat-schedule")],
                       tmp_path / "beat.log", **env)
            )  # fmt: skip
            queued = PatientNotification.objects.filter(status=NotificationStatus.QUEUED)
            wait_for(lambda: not queued.exists(), "every email is sent", 120)
        finally:
            for proc in procs:
                stop(proc)
            redis.stop()
        emails = PatientNotification.objects.all()
        assert emails.count() == rounds * PEOPLE
        assert set(emails.values_list("status", flat=True)) == {NotificationStatus.SENT}
        assert len(mailbox.messages) == rounds * PEOPLE  # each once: nothing lost, nothing twice
