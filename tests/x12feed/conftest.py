"""X12 tests: uploaded files in this test's folder, and a helper that sends an
interchange the way a worker applies it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f
from x12feed import services
from x12feed.models import Interchange


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def send(manager: Any) -> Callable[..., Interchange]:
    """Receive and apply an interchange as the manager (what the API and a worker do)."""

    def send_(text: str, *, by: Any = None, name: str = "payer.x12") -> Interchange:
        record, created = services.receive(text.encode(), name=name, by=by or manager)
        if created:
            services.apply_interchange(record.pk)
            record.refresh_from_db()
        return record

    return send_


def lines(record: Interchange, **filters: Any) -> list[tuple[str, str]]:
    """(subject, outcome) of each report line, in order."""
    return list(record.lines.filter(**filters).values_list("subject", "outcome"))


@pytest.fixture
def submitted() -> Any:
    """A request pending at payer BCX under the payer reference REF-777."""
    payer, patient = f.practice("BCX")
    order = f.order(patient)
    return f.auth(order, "submitted", payer=payer, payer_reference="REF-777")
