"""The payer directory on the item page, and denials recorded with a coded reason."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from payers.models import Authorization, DenialReason, Payer, ReviewVendor
from tests import factories as f
from tests.views.conftest import HTMX
from tests.views.item_fixtures import missing_auth_item, order_of
from worklists import item_actions
from worklists.models import ItemKind, WorkItem, WorkItemEvent

pytestmark = pytest.mark.django_db

APPEAL_ADDRESS = "Acme Health\nAttn: Appeals Unit\nPO Box 4100\nSpringfield, IL 62704"


def url(item: WorkItem) -> str:
    return reverse("worklists:item", args=[item.pk])


def act(item: WorkItem, name: str) -> str:
    return reverse(f"worklists:item-{name}", args=[item.pk])


def with_directory(item: WorkItem) -> Payer:
    """The item's payer gets its directory; therapy goes to a vendor, imaging to another."""
    payer = order_of(item).patient.coverages.get().payer
    Payer.objects.filter(pk=payer.pk).update(
        phone="(800) 555-0100",
        fax="(800) 555-0101",
        portal_url="https://providers.acme.example/auth",
        appeal_address=APPEAL_ADDRESS,
        hours="Mon-Fri 8 am - 6 pm ET",
    )
    ReviewVendor.objects.create(
        payer=payer,
        service_category="physical_therapy",
        vendor="Evolent Specialty Services",
        phone="(800) 555-0140",
        fax="(800) 555-0141",
        portal_url="https://evolent.example/acme",
    )
    ReviewVendor.objects.create(
        payer=payer, service_category="imaging", vendor="eviCore healthcare", phone="(800) 555-0160"
    )
    return payer


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def denied_item() -> WorkItem:
    item = missing_auth_item()
    auth = f.auth(order_of(item), status="submitted")
    item_actions.decide_for_item(
        item,
        auth,
        by=None,
        outcome="denied",
        denial_reason_code=DenialReason.OUT_OF_NETWORK,
        denial_reason="Use an in-network clinic",
    )
    return WorkItem.objects.open().get(order_id=item.order_id, kind=ItemKind.DENIED)


def test_the_page_shows_the_vendor_of_the_orders_service_line_then_the_payer(specialist_web):
    item = missing_auth_item()
    with_directory(item)
    page = specialist_web.get(url(item)).content.decode()
    card = page[page.index('id="payer-directory"') :]
    text = text_of(card)
    assert "Evolent Specialty Services reviews physical therapy" in text
    assert "eviCore" not in text  # imaging's vendor is not this order's
    assert text.index("Evolent") < text.index("(800) 555-0100")
    assert 'href="https://evolent.example/acme"' in card
    assert "Hours Mon-Fri 8 am - 6 pm ET" in text
    assert "PO Box 4100<br>Springfield, IL 62704" in card
    # Beside the submission form: where to send it (the vendor), and the payer's hours.
    submit = page[page.index("Record a submission") : page.index('id="payer-directory"')]
    assert "(800) 555-0140" in submit and "Mon-Fri 8 am - 6 pm ET" in submit


def test_without_a_vendor_the_payers_own_contacts_are_shown(specialist_web):
    item = missing_auth_item()
    payer = with_directory(item)
    ReviewVendor.objects.filter(payer=payer, service_category="physical_therapy").delete()
    page = specialist_web.get(url(item)).content.decode()
    submit = text_of(page[page.index("Record a submission") : page.index('id="payer-directory"')])
    assert "phone (800) 555-0100" in submit and "fax (800) 555-0101" in submit
    assert "Evolent" not in page and "reviews" not in text_of(page)


def test_a_payer_without_a_directory_says_so(specialist_web):
    item = missing_auth_item()
    text = text_of(specialist_web.get(url(item)).content.decode())
    assert "No contacts on file." in text
    assert "no appeal address on file" in text


def test_a_denied_item_shows_the_appeal_address_and_vendor_by_the_appeal_form(specialist_web):
    item = denied_item()
    with_directory(item)
    page = specialist_web.get(url(item)).content.decode()
    appeal = page[page.index("<summary>Appeal</summary>") : page.index('id="payer-directory"')]
    assert "Springfield, IL 62704" in appeal
    assert "Evolent Specialty Services" in appeal
    p2p = page[page.index("<summary>Peer-to-peer review</summary>") :]
    assert "Attn: Appeals Unit" in p2p
    assert "Out of network" in text_of(page)  # the denial's coded reason, in the auth row
    assert "Use an in-network clinic" in page


def test_the_directory_costs_one_query(specialist_web, django_assert_max_num_queries):
    item = missing_auth_item()
    with django_assert_max_num_queries(40) as without:
        specialist_web.get(url(item))
    with_directory(item)
    with django_assert_max_num_queries(len(without.captured_queries) + 1):
        assert "Evolent" in specialist_web.get(url(item)).content.decode()


def test_people_without_access_to_items_get_no_directory(scheduler_web, outsider_web):
    item = missing_auth_item()
    with_directory(item)
    for client in (scheduler_web, outsider_web):
        response = client.get(url(item))
        assert response.status_code == 403
        assert b"555-0140" not in response.content


def test_a_denial_is_recorded_with_its_code_and_optional_words(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "decide"),
        {
            "decide-outcome": "denied",
            "decide-channel": "phone",
            "decide-denial_reason_code": "exceeded_frequency",
        },
    )
    assert response.status_code == 302
    auth = Authorization.objects.get(order_id=item.order_id)
    assert (auth.status, auth.denial_reason_code, auth.denial_reason) == (
        "denied",
        "exceeded_frequency",
        "",
    )
    event = WorkItemEvent.objects.get(work_item=item, kind="decided")
    assert event.data["denial_reason"] == "exceeded_frequency"


def test_an_unknown_denial_code_is_a_form_error_and_nothing_is_saved(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "decide"),
        {
            "decide-outcome": "denied",
            "decide-channel": "phone",
            "decide-denial_reason_code": "because",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "Select a valid choice. because is not one of the available choices." in (
        response.content.decode()
    )
    assert not Authorization.objects.filter(order_id=item.order_id).exists()


def test_an_approval_clears_a_code_sent_with_it(specialist_web):
    item = missing_auth_item()
    response = specialist_web.post(
        act(item, "decide"),
        {
            "decide-outcome": "approved",
            "decide-channel": "phone",
            "decide-start_date": "2026-12-01",
            "decide-end_date": "2026-12-31",
            "decide-denial_reason_code": "medical_necessity",
        },
    )
    assert response.status_code == 302
    assert Authorization.objects.get(order_id=item.order_id).denial_reason_code == ""
