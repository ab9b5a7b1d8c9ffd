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
