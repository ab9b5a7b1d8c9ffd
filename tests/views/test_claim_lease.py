"""R11: a claim lapses after AUTHQ_CLAIM_LEASE_MINUTES without the assignee acting; the item
goes back to its queue, and the first claimant's late save is refused with a conflict."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.views.conftest import HTMX
from tests.views.item_fixtures import missing_auth_item
from worklists import claiming
from worklists.models import ItemStatus, WorkItem, WorkItemEvent, WorkItemNote

pytestmark = [pytest.mark.django_db, pytest.mark.fault]


def _idle(item: WorkItem, minutes: int) -> None:
    """As if the assignee last claimed or acted `minutes` ago."""
    at = timezone.now() - dt.timedelta(minutes=minutes)
    WorkItem.objects.filter(pk=item.pk).update(claim_active_at=at)


def _note(client: Client, item: WorkItem, text: str, **extra: str):  # noqa: ANN202
    url = reverse("worklists:item-note", args=[item.pk])
    return client.post(url, {"note-text": text}, **extra)


def test_a_claim_idle_past_the_lease_goes_back_to_its_queue_with_an_event(
    specialist: User, settings
) -> None:
    settings.AUTHQ_CLAIM_LEASE_MINUTES = 120
    idle, busy = missing_auth_item(), missing_auth_item()
    for item in (idle, busy):
        claiming.claim(item, by=specialist)
    _idle(idle, 121)
    _idle(busy, 119)
    assert claiming.release_lapsed_claims() == 1
    assert claiming.release_lapsed_claims() == 0  # run again: nothing more
    idle.refresh_from_db()
    busy.refresh_from_db()
    assert (idle.assignee_id, idle.status) == (None, ItemStatus.OPEN)
    assert (busy.assignee_id, busy.status) == (specialist.pk, ItemStatus.IN_PROGRESS)
    event = WorkItemEvent.objects.filter(work_item=idle).latest("id")
    assert (event.kind, event.actor_id, event.data) == (
        "released", None, {"previous_assignee": specialist.pk, "lease": True},
    )  # fmt: skip
    assert idle.pk in [i.pk for i in claiming.claim_candidates()]


def test_acting_on_a_claimed_item_renews_its_lease(
    specialist: User, specialist_web: Client, settings
) -> None:
    settings.AUTHQ_CLAIM_LEASE_MINUTES = 120
    item = missing_auth_item()
    claiming.claim(item, by=specialist)
    _idle(item, 119)
    assert _note(specialist_web, item, "called the payer", **HTMX).status_code == 200
    _idle_since = WorkItem.objects.get(pk=item.pk).claim_active_at
    assert _idle_since > timezone.now() - dt.timedelta(minutes=1)
    assert claiming.release_lapsed_claims() == 0


def test_the_first_claimants_late_save_is_refused_with_a_conflict(
    specialist: User, specialist2: User, specialist_web: Client, web_as, settings
) -> None:
    settings.AUTHQ_CLAIM_LEASE_MINUTES = 120
    item = missing_auth_item()
    claiming.claim(item, by=specialist)
    _idle(item, 200)
    claiming.release_lapsed_claims()
    # Back in the queue, unclaimed: the first claimant's late note is refused, not saved.
    response = _note(specialist_web, item, "late note")
    assert response.status_code == 409
    assert "Your claim on this item ran out" in response.content.decode()
    assert not WorkItemNote.objects.filter(work_item=item).exists()
    item.refresh_from_db()
    assert item.assignee_id is None
    # A colleague claims it meanwhile: the late save (from the htmx page) is still refused.
    claiming.claim(item, by=specialist2)
    response = _note(specialist_web, item, "late note", **HTMX)
    assert response.status_code == 409
    assert "claim it again" in response.content.decode()
    assert not WorkItemNote.objects.filter(work_item=item).exists()
    # The colleague works it as usual; the first claimant, once the colleague lets it go
    # and they claim it again, too.
    assert _note(web_as(specialist2), item, "payer called back", **HTMX).status_code == 200
    claiming.release(item, by=specialist2)
    claiming.claim(item, by=specialist)
    assert _note(specialist_web, item, "picked it up again", **HTMX).status_code == 200
    assert WorkItemNote.objects.filter(work_item=item).count() == 2


def test_the_lease_job_releases_in_batches_and_each_item_once(specialist: User, settings) -> None:
    settings.AUTHQ_CLAIM_LEASE_MINUTES = 120
    items = [missing_auth_item() for _ in range(3)]
    for item in items:
        claiming.claim(item, by=specialist)
        _idle(item, 300)
    assert claiming.release_lapsed_claims(batch=2) == 3  # in batches
    assert WorkItemEvent.objects.filter(kind="released", data__lease=True).count() == 3
    assert claiming.release_lapsed_claims() == 0
