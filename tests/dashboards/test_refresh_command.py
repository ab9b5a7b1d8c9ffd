from __future__ import annotations

import pytest
from django.core.management import call_command

from reports.models import RequestFact
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_refresh_dashboard_command_fills_the_request_facts(capsys):
    _, pat = f.practice()
    order = f.order(pat)
    f.auth(order, status="submitted", submitted_at=f.at("2026-11-20", 9))
    call_command("refresh_dashboard")
    assert RequestFact.objects.count() == 1
    assert "refreshed" in capsys.readouterr().out


@pytest.mark.django_db(databases=[])
def test_the_beat_names_only_tasks_the_workers_know() -> None:
    # The refresh moved to reports: the beat must name it where the workers find it.
    from django.conf import settings

    from authq.celery import app

    app.loader.import_default_modules()
    assert "reports.tasks.refresh_dashboard" in app.tasks
    missing = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in app.tasks
    ]
    assert missing == []
