"""S27: a patient's name, birth date and MRN never reach the logs, the broker's messages or
task results. A sentinel patient goes through the API, the pages and a scan run by a real
Celery worker over Redis, while every log and every Redis command is captured."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from authq.lib.clock import today
from tests import factories as f
from tests.security.servers import ROOT, subprocess_env
from worklists.models import ScanRun, WorkItem
from worklists.tasks import scan_authorizations

FIRST, LAST, MRN, BIRTH = "Zzfirstsentinel", "Zzlastsentinel", "MRN-ZZ-SENTINEL", "1931-07-17"
SENTINELS = (FIRST, LAST, MRN, BIRTH, "07/17/1931")


class RedisRecorder:
    """Every command any client sends to Redis while it runs (Redis MONITOR)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=None)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with self.client.monitor() as monitor:
                self.ready.set()
                for command in monitor.listen():
                    self.lines.append(command["command"])
                    if self.done.is_set() and "authq-monitor-stop" in command["command"]:
                        return
        except redis.exceptions.RedisError as exc:
            self.lines.append(f"monitor stopped: {exc!r}")

    def __enter__(self) -> RedisRecorder:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.client.get("authq-monitor-stop")
        self.thread.join(10)


@pytest.mark.celery_wiring
@pytest.mark.django_db(transaction=True)
def test_a_sentinel_patient_never_reaches_logs_broker_or_results(
    caplog, integration, specialist, make_user
) -> None:
    caplog.set_level(logging.DEBUG)
    payer = f.payer("SENT")
    f.rule(payer)
    api = APIClient()
    api.force_authenticate(integration)
    made = api.post(
        "/api/v1/patients/",
        {"mrn": MRN, "first_name": FIRST, "last_name": LAST, "birth_date": BIRTH},
        format="json",
    )
    assert made.status_code == 201, made.content
    # A refused write (a second patient with a future birth date) logs nothing of it either.
    refused = api.post(
        "/api/v1/patients/",
        {"mrn": MRN + "-2", "first_name": FIRST, "last_name": LAST, "birth_date": "31-12-2999"},
        format="json",
    )
    assert refused.status_code == 400
    api.get(f"/api/v1/patients/{MRN}/")
    api.get(f"/api/v1/coverages/?patient={MRN}")
    from patients.models import Patient

    patient = Patient.objects.get(mrn=MRN)
    f.coverage(patient, payer)
    order = f.order(patient)
    f.visit(order, today() + dt.timedelta(days=5))

    queue = f"sentinel-{uuid.uuid4().hex[:8]}"
    worker_log = ""
    with RedisRecorder(settings.REDIS_URL) as recorder:
        scan_authorizations.apply_async(queue=queue)
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "authq", "worker", "-Q", queue,
                "--pool", "solo", "--without-heartbeat", "--without-gossip",
                "--without-mingle", "-l", "debug",
            ],
            cwd=ROOT,
            env=subprocess_env(DATABASE_CONN_MAX_AGE="0", AUTHQ_LOG_LEVEL="DEBUG"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not (
                ScanRun.objects.filter(finished_at__isnull=False).exists()
            ):
                assert worker.poll() is None
                time.sleep(0.2)
        finally:
            worker.terminate()
            try:
                out, _ = worker.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                out, _ = worker.communicate(timeout=10)
            worker_log = out.decode(errors="replace")
    item = WorkItem.objects.open().get(order=order)
    assert "scan_chunk" in worker_log and "succeeded" in worker_log  # the log was captured

    web = Client()
    web.force_login(specialist)
    page = web.get(reverse("worklists:item", args=[item.pk]))
    assert page.status_code == 200 and LAST in page.text  # the page does show the patient
    web.get(f"/scheduler/?q={LAST}")

    broker = "\n".join(recorder.lines)
    assert "monitor stopped" not in broker  # every command of the run was seen
    assert "LPUSH" in broker.upper() or "lpush" in broker  # the messages were seen
    for sentinel in SENTINELS:
        assert sentinel not in caplog.text, sentinel
        assert sentinel not in worker_log, sentinel
        assert sentinel not in broker, sentinel
    # No task result is stored anywhere (tasks return ids, results are ignored).
    assert not [k for k in redis.Redis.from_url(settings.REDIS_URL).keys("celery-task-meta-*")]
