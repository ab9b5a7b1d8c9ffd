"""The Interfaces page and GET /api/v1/hl7-messages/: administrators only; a rejected
message replayed after its cause is fixed; what the pages cost in queries."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import roles
from feeds import services
from feeds.models import Hl7Message
from intake.models import ImportProfile
from patients.models import AccessEvent, Coverage
from tests import factories as f
from tests.feeds.conftest import adt, orm, siu

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user("adm1", roles.ADMIN)


@pytest.fixture
def messages_stored(db):
    f.payer("JUNIPER")
    services.forget_profile()
    ImportProfile.objects.create(name="hl7", kind="schedule", assigning_authority="CLINIC")
    services.receive(adt("C1"))  # 1001 is not mapped yet: AE naming IN1-3
    services.receive(orm("C2"))
    services.receive(siu("C3", order_id="LATER"))  # held
    services.receive("garbage")  # AR
    yield
    services.forget_profile()


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admins_see_rejected_messages_with_their_error(admin, messages_stored):
    page = _web(admin).get("/interfaces/").content.decode()
    assert 'data-control-id="C1"' in page
    assert "IN1-3" in page
    assert 'data-control-id="C2"' not in page  # applied, on its own tab
    applied = _web(admin).get("/interfaces/?status=applied").content.decode()
    assert 'data-control-id="C2"' in applied
    assert 'data-status="rejected">2<' in page and 'data-status="held">1<' in page
    assert AccessEvent.objects.filter(user=admin, model="feeds.hl7message").exists()


def test_the_page_counts_messages_per_hour(admin, messages_stored):
    page = _web(admin).get("/interfaces/").content.decode()
    table = page[page.index('id="per-hour"') :]
    assert table.count("<tr>") == 25  # the header and 24 hours
    first = table[table.index("<tbody>") :].split("</tr>")[0]
    # The current hour: 1 applied, 1 held, 2 rejected, 4 in all.
    assert first.endswith(
        '<td class="num">1</td><td class="num">1</td><td class="num">2</td><td class="num">4</td>'
    )


def test_a_rejected_message_is_replayed_once_its_cause_is_fixed(admin, messages_stored):
    stored = Hl7Message.objects.get(control_id="C1")
    web = _web(admin)
    page = web.get(f"/interfaces/messages/{stored.pk}/").content.decode()
    assert "MSH|^~\\&amp;|EPIC" in page and 'id="replay"' in page
    web.post(f"/interfaces/messages/{stored.pk}/replay/")
    stored.refresh_from_db()
    assert (stored.status, stored.replays) == ("rejected", 1)
    ImportProfile.objects.filter(name="hl7").update(payers={"1001": "JUNIPER"})
    services.forget_profile()
    answer = web.post(f"/interfaces/messages/{stored.pk}/replay/")
    assert answer.status_code == 302
    stored.refresh_from_db()
    assert (stored.status, stored.replays, stored.replayed_by) == ("applied", 2, admin)
    assert Coverage.objects.get().payer.code == "JUNIPER"


def test_an_applied_message_cannot_be_replayed(admin, messages_stored):
    stored = Hl7Message.objects.get(control_id="C2")
    _web(admin).post(f"/interfaces/messages/{stored.pk}/replay/")
    stored.refresh_from_db()
    assert stored.replays == 0


@pytest.mark.parametrize(
    "persona", ["manager", "specialist", "scheduler", "integration", "outsider"]
)
def test_only_admins_reach_the_page_the_message_the_replay_and_the_api(
    request, persona, messages_stored
):
    user = request.getfixturevalue(persona)
    stored = Hl7Message.objects.get(control_id="C1")
    web = _web(user)
    assert web.get("/interfaces/").status_code == 403
    assert web.get(f"/interfaces/messages/{stored.pk}/").status_code == 403
    assert web.post(f"/interfaces/messages/{stored.pk}/replay/").status_code == 403
    assert "/interfaces/" not in web.get("/").content.decode()
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/hl7-messages/?status=rejected").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(messages_stored):
    assert Client().get("/interfaces/").status_code == 302
    assert APIClient().get("/api/v1/hl7-messages/").status_code in (401, 403)


def test_the_api_lists_rejected_messages_with_ack_code_and_error(admin, messages_stored):
    api = APIClient()
    api.force_authenticate(admin)
    body = api.get("/api/v1/hl7-messages/?status=rejected").json()
    rows = {r["control_id"]: r for r in body["results"]}
    assert set(rows) == {"C1", None}
    assert (rows["C1"]["ack_code"], rows["C1"]["error_field"]) == ("AE", "IN1-3")
    assert rows[None]["ack_code"] == "AR"
    assert "raw" not in rows["C1"]
    bad = api.get("/api/v1/hl7-messages/?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()


def test_the_page_reads_in_a_fixed_number_of_queries(
    admin, messages_stored, django_assert_max_num_queries
):
    web = _web(admin)
    web.get("/interfaces/")
    for n in range(30):
        services.receive(adt(f"X{n}"))
    with django_assert_max_num_queries(14):
        web.get("/interfaces/")
