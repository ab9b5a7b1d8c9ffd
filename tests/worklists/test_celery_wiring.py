"""The beat's task, run by a real Celery worker over the real Redis broker."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from authq.celery import app
from tests import factories as f
from worklists.models import ScanRun, WorkItem
from worklists.tasks import scan_authorizations

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{quote(db['USER'] or 'postgres')}@{host}{port}/{db['NAME']}"


def test_beat_schedules_the_scan_at_the_configured_interval():
    entry = app.conf.beat_schedule["scan-authorizations"]
    assert entry["task"] == scan_authorizations.name
    assert entry["schedule"] == dt.timedelta(minutes=settings.AUTHQ_SCAN_INTERVAL_MINUTES)
    assert app.conf.timezone == "UTC"
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


@pytest.mark.celery_wiring
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_beat_task_and_opens_the_items():
    _, pat = f.practice()
    order = f.order(pat)
    f.visit(order, "2026-12-10")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "DATABASE_CONN_MAX_AGE": "0"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "authq",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        scan_authorizations.apply_async(kwargs={"as_of": "2026-12-01"}, queue=queue)
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and not ScanRun.objects.filter(finished_at__isnull=False).exists()
        ):
            assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
            time.sleep(0.2)
        run = ScanRun.objects.get()
        assert (run.trigger, run.as_of, run.items_opened) == ("beat", dt.date(2026, 12, 1), 1)
        assert WorkItem.objects.open().get().order == order
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
