"""Every kind of work-item event is an EventKind, with one label that the item page's
history and the order's timeline both show; the stored values never change."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.views.item_fixtures import missing_auth_item
from worklists.models import EventKind, WorkItemEvent, event_label

pytestmark = pytest.mark.django_db


# What WorkItemEvent.kind holds in every database: a value may be added, never changed.
STORED = [
    "opened", "updated", "resolved", "benefits_verified", "submitted", "decided",
    "peer_review", "appeal", "document", "note", "follow_up", "notified",
    "notification_sent", "notification_failed", "notification_resent", "dismissed",
    "claimed", "released", "assigned", "auth_requested", "peer_review_outcome",
    "appeal_outcome", "claim_denied",
]  # fmt: skip


def test_the_stored_values_are_those_written_before() -> None:
    assert EventKind.values == STORED


def test_the_item_page_and_the_timeline_label_every_kind_alike(
    manager_web: Client,
) -> None:
    item = missing_auth_item()
    WorkItemEvent.objects.bulk_create(
        WorkItemEvent(work_item=item, kind=kind, data={}) for kind in EventKind
    )
    page = manager_web.get(reverse("worklists:item", args=[item.pk]))
    timeline = manager_web.get(reverse("worklists:order-timeline", args=[item.order_id]))
    assert page.status_code == timeline.status_code == 200
    on_page = {html.unescape(x) for x in re.findall(r"<b>([^<]+)</b> <span", page.text)}
    on_timeline = {
        html.unescape(what)
        for _who, what in re.findall(r"<td>([^<]*)</td><td>([^<]*)</td>", timeline.text)
    }
    for kind in EventKind:
        assert kind.label in on_page, kind
        assert kind.label in on_timeline, kind
        assert event_label(kind) == kind.label
    assert event_label("retired_kind") == "Retired kind"
