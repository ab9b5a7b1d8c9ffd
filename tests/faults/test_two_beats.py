"""R5: two `celery beat` processes at once, each sending the scan every 2 seconds, with a
worker: at most one scan runs at a time, and no work item is made twice."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts import roles
from tests.faults.live import RedisServer, celery, stop, wait_for
from worklists.models import ScanRun, WorkItem, WorkItemEvent
from worklists.scan import runs as scan_runs

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

RUN_SECONDS = 120  # two minutes, as R5 says; how long both beats run (bounded; the assertions count, never time)


def items() -> list[tuple[object, ...]]:
    return sorted(WorkItem.objects.values_list("order_id", "kind", "queue", "status", "due_date"))


def test_two_beats_run_one_scan_at_a_time_and_make_no_duplicate_items(tmp_path):
    roles.ensure_roles()
    call_command("seed_demo", "--patients", "30", "--seed", "5", stdout=StringIO())
    assert scan_runs.run_scan() is not None  # what one scan finds today, for comparison
    expected = items()
    WorkItemEvent.objects.all().delete()
    WorkItem.objects.all().delete()
    ScanRun.objects.all().delete()

    redis = RedisServer(tmp_path)
    env = {
        "REDIS_URL": redis.url,
        "AUTHQ_SCAN_INTERVAL_SECONDS": "2",
        "AUTHQ_SCAN_CHUNK_SIZE": "5",  # several chunks a run, so runs take a while
    }
    logs = [tmp_path / name for name in ("worker.log", "beat1.log", "beat2.log")]
    procs = []
    try:
        procs.append(
            celery(
                [
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "2",
                    "-l",
                    "info",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
                logs[0],
                **env,
            )  # fmt: skip
        )
        for n, log in ((1, logs[1]), (2, logs[2])):
            schedule = str(tmp_path / f"beat{n}-schedule")
            procs.append(celery(["beat", "-l", "info", "-s", schedule], log, **env))
        wait_for(lambda: " ready." in logs[0].read_text(), "the worker is ready", 120)
        for log in logs[1:]:
            wait_for(lambda log=log: "beat: Starting" in log.read_text(), "beat starts", 120)
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), [log.read_text() for log in logs]
            time.sleep(0.5)
        for beat in procs[1:]:
            stop(beat)
        # The runs the beats started finish; then the worker stops.
        assert ScanRun.objects.exists(), [log.read_text()[-3000:] for log in logs]
        wait_for(
            lambda: (
                ScanRun.objects.exists()
                and not ScanRun.objects.filter(finished_at=None, abandoned_at=None).exists()
            ),
            "every run finishes",
        )
    finally:
        for proc in procs:
            stop(proc)
        redis.stop()

    out = [log.read_text(errors="replace") for log in logs]
    for beat in out[1:]:
        assert "Sending due task scan-authorizations" in beat, beat  # both beats sent scans
    runs = list(ScanRun.objects.order_by("started_at"))
    assert len(runs) >= 2, out[0][-3000:]
    assert all(run.abandoned_at is None for run in runs)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at, (earlier.pk, later.pk)  # never two
    duplicates = WorkItem.objects.values("order_id", "kind").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert items() == expected
