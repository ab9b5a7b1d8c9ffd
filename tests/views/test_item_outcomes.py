"""The outcome of a peer-to-peer review and of an appeal, recorded on the work-item page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from payers.models import Appeal, PeerToPeerReview
from payers.services import record_appeal, record_peer_review
from tests import factories as f
from tests.views.conftest import HTMX
from tests.views.item_fixtures import missing_auth_item, order_of, soon
from worklists import item_actions
from worklists.models import ItemKind, WorkItem, WorkItemEvent

pytestmark = pytest.mark.django_db


def denied_item_with_reviews() -> tuple[WorkItem, PeerToPeerReview, Appeal]:
    item = missing_auth_item()
    order = order_of(item)
    auth = f.auth(order, status="submitted")
    item_actions.decide_for_item(
        item, auth, by=None, outcome="denied", denial_reason_code="medical_necessity"
    )
    denied = WorkItem.objects.open().get(order=order, kind=ItemKind.DENIED)
    p2p = record_peer_review(auth, by=None, request_by=soon(3), reviewing_physician="Dr. Payer")
    appeal = record_appeal(auth, by=None, level="1", deadline=soon(60), channel="fax")
    return denied, p2p, appeal


def p2p_url(item: WorkItem, review: PeerToPeerReview) -> str:
    return reverse("worklists:item-peer-review-outcome", args=[item.pk, review.pk])


def appeal_url(item: WorkItem, appeal: Appeal) -> str:
    return reverse("worklists:item-appeal-outcome", args=[item.pk, appeal.pk])


def test_the_page_offers_an_outcome_form_for_each_pending_review(specialist_web: Client) -> None:
    item, p2p, appeal = denied_item_with_reviews()
    page = specialist_web.get(reverse("worklists:item", args=[item.pk])).text
    assert f'action="{p2p_url(item, p2p)}"' in page
    assert f'action="{appeal_url(item, appeal)}"' in page
    assert 'aria-label="Outcome of the peer-to-peer review"' in page


def test_a_peer_review_outcome_is_saved_with_an_event(specialist_web: Client) -> None:
    item, p2p, _ = denied_item_with_reviews()
    response = specialist_web.post(p2p_url(item, p2p), {"p2po-outcome": "overturned"})
    assert response.status_code == 302
    p2p.refresh_from_db()
    assert p2p.outcome == "overturned"
    event = WorkItemEvent.objects.get(work_item=item, kind="peer_review_outcome")
    assert event.data == {
        "authorization": p2p.authorization_id,
        "peer_review": p2p.pk,
        "outcome": "overturned",
    }
    page = specialist_web.get(reverse("worklists:item", args=[item.pk])).text
    assert "Overturned (approved)" in page
    assert f'action="{p2p_url(item, p2p)}"' not in page  # recorded: no form any more
    assert "Peer-to-peer outcome recorded" in page  # the history names it


def test_an_appeal_outcome_over_htmx_answers_the_page_body(specialist_web: Client) -> None:
    item, _, appeal = denied_item_with_reviews()
    response = specialist_web.post(appeal_url(item, appeal), {"appealo-outcome": "upheld"}, **HTMX)
    assert response.status_code == 200
    assert 'id="item-body"' in response.text and "<html" not in response.text
    assert "Appeal outcome recorded: denial upheld" in response.text
    appeal.refresh_from_db()
    assert appeal.outcome == "upheld"
    assert WorkItemEvent.objects.filter(work_item=item, kind="appeal_outcome").count() == 1


def test_an_outcome_must_be_chosen_and_pending_is_not_one(specialist_web: Client) -> None:
    item, p2p, _ = denied_item_with_reviews()
    for data in ({}, {"p2po-outcome": "pending"}, {"p2po-outcome": "nonsense"}):
        response = specialist_web.post(p2p_url(item, p2p), data, **HTMX)
        assert response.status_code == 200
        assert 'class="err"' in response.text
    p2p.refresh_from_db()
    assert p2p.outcome == "pending"
    assert not WorkItemEvent.objects.filter(kind="peer_review_outcome").exists()


def test_an_outcome_is_recorded_once(specialist_web: Client) -> None:
    item, p2p, _ = denied_item_with_reviews()
    specialist_web.post(p2p_url(item, p2p), {"p2po-outcome": "upheld"})
    response = specialist_web.post(p2p_url(item, p2p), {"p2po-outcome": "overturned"}, **HTMX)
    assert "already recorded" in response.text
    p2p.refresh_from_db()
    assert p2p.outcome == "upheld"
    assert WorkItemEvent.objects.filter(kind="peer_review_outcome").count() == 1


def test_a_review_of_another_order_is_not_found(specialist_web: Client) -> None:
    item, p2p, appeal = denied_item_with_reviews()
    other = missing_auth_item()
    assert specialist_web.post(p2p_url(other, p2p), {"p2po-outcome": "upheld"}).status_code == 404
    response = specialist_web.post(appeal_url(other, appeal), {"appealo-outcome": "upheld"})
    assert response.status_code == 404
    # A peer-review id given as an appeal id is looked up among appeals only.
    wrong = reverse("worklists:item-appeal-outcome", args=[item.pk, p2p.pk + 10_000])
    assert specialist_web.post(wrong, {"appealo-outcome": "upheld"}).status_code == 404
    p2p.refresh_from_db()
    assert p2p.outcome == "pending"


@pytest.mark.parametrize("who", ["manager_web", "scheduler_web", "outsider_web"])
def test_only_specialists_record_outcomes(who: str, request: pytest.FixtureRequest) -> None:
    web: Client = request.getfixturevalue(who)
    item, p2p, appeal = denied_item_with_reviews()
    assert web.post(p2p_url(item, p2p), {"p2po-outcome": "upheld"}).status_code == 403
    assert (
        web.post(appeal_url(item, appeal), {"appealo-outcome": "upheld"}, **HTMX).status_code == 403
    )
    if who == "manager_web":
        page = web.get(reverse("worklists:item", args=[item.pk])).text
        assert "Save outcome" not in page
    p2p.refresh_from_db()
    appeal.refresh_from_db()
    assert p2p.outcome == appeal.outcome == "pending"
