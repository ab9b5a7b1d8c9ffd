"""POST /api/v1/x12/ and manage.py import_x12: an interchange whose envelope fails is
refused whole with a 999-style report; a good one is applied transaction by transaction;
the same file (or interchange) twice creates nothing new; who may send one."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from payers.models import AuthStatus
from tests.x12feed.x12 import interchange
from x12feed import services
from x12feed.models import Interchange, InterchangeStatus

pytestmark = pytest.mark.django_db

DECISION = [
    "BHT*0007*11*REQ-1*20261203*1200",
    "HL*1**20*1",
    "NM1*X3*2*TEST PAYER*****PI*BCX",
    "HL*2*1*21*1",
    "NM1*1P*2*TEST PRACTICE*****XX*1234567893",
    "HL*3*2*22*1",
    "NM1*IL*1*SYNTHETIC*PAT****MI*M100",
    "HL*4*3*EV*0",
    "TRN*2*REF-777*9PAYER0001",
    "UM*HS*I*2",
    "HCR*A1*AUTH-555",
    "DTP*AAH*RD8*20261201-20270131",
    "HSD*VS*12",
]


def _post(client, text: str, name: str = "resp.x12"):
    return client.post(
        "/api/v1/x12/", {"file": SimpleUploadedFile(name, text.encode())}, format="multipart"
    )


def test_a_manager_posts_a_278_and_polls_its_report(
    api_as, manager, submitted, django_capture_on_commit_callbacks
):
    client = api_as(manager)
    with django_capture_on_commit_callbacks() as queued:
        answer = _post(client, interchange("278", DECISION))
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert body["status"] == "queued" and answer["Location"] == body["url"]
    assert body["ack"]["accepted"] is True and body["ack"]["ak9"] == "A"
    assert body["sender"] == "BCX" and body["control_number"] == "000001001"
    assert len(queued) == 1
    services.apply_interchange(body["id"])  # what the worker does
    report = client.get(body["url"]).json()
    assert report["status"] == "done"
    assert [(r["subject"], r["outcome"]) for r in report["report"]] == [("decision", "applied")]
    submitted.refresh_from_db()
    assert submitted.status == AuthStatus.APPROVED and submitted.auth_number == "AUTH-555"


def test_a_broken_envelope_is_refused_whole_with_a_999_style_report(api_as, manager, submitted):
    good = interchange("278", DECISION, DECISION)
    # The second transaction's SE counts one segment too many, and the IEA names
    # another interchange.
    broken = good.replace("SE*15*0002", "SE*16*0002").replace("IEA*1*000001001", "IEA*1*000001002")
    client = api_as(manager)
    answer = _post(client, broken)
    assert answer.status_code == 400
    assert "SE count of 16" in answer.json()["file"][0]
    body = client.get(answer["Location"]).json()
    assert body["status"] == "refused" and body["ack"]["ak9"] == "R"
    assert {(e["level"], e["code"]) for e in body["ack"]["errors"]} == {
        ("transaction", "4"),
        ("interchange", "001"),
    }
    assert [t["ik5"] for t in body["ack"]["transactions"]] == ["R", "R"]
    submitted.refresh_from_db()
    assert submitted.status == AuthStatus.SUBMITTED  # the good transaction was not applied
    assert not services.apply_interchange(body["id"])


def test_a_file_that_is_not_x12_is_refused_naming_the_isa(api_as, manager):
    answer = _post(api_as(manager), "MRN,Last Name\n1,Doe\n")
    assert answer.status_code == 400
    assert "ISA" in answer.json()["file"][0]


def test_missing_trailers_are_envelope_errors(send, submitted):
    text = interchange("278", DECISION).replace("GE*1*1~\n", "")
    record = send(text)
    assert record.status == InterchangeStatus.REFUSED
    assert "Unterminated Loop GS" in record.error
    assert ("interchange", "024") in {(e["level"], e["code"]) for e in record.ack["errors"]}


def test_each_transaction_is_applied_or_reported_on_its_own(send, submitted):
    unknown = ["BHT*0007*11*REQ-2*20261203*1200", "HL*1**20*1", "HCR*A1*AUTH-1", "TRN*2*NOPE"]
    record = send(interchange("278", unknown, DECISION))
    assert record.status == InterchangeStatus.DONE
    assert list(record.lines.values_list("transaction", "outcome")) == [
        ("0001", "unmatched"),
        ("0002", "applied"),
    ]
    submitted.refresh_from_db()
    assert submitted.status == AuthStatus.APPROVED


def test_a_transaction_authq_does_not_read_is_rejected_alone(send, submitted):
    text = interchange("278", DECISION, DECISION).replace("ST*278*0001", "ST*837*0001")
    record = send(text)
    assert list(record.lines.values_list("transaction", "outcome")) == [
        ("0001", "rejected"),
        ("0002", "applied"),
    ]
    assert "authq reads 271, 278 and 835" in record.lines.first().message
    assert record.lines.first().raw.startswith("ST*837*0001")


def test_the_same_file_twice_creates_nothing_new(api_as, manager, submitted):
    client = api_as(manager)
    text = interchange("278", DECISION)
    first = _post(client, text).json()
    services.apply_interchange(first["id"])
    again = _post(client, text)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    # The same interchange (sender, ISA13) in other bytes is the same interchange.
    reencoded = _post(client, text.replace("\n", "\r\n"))
    assert reencoded.status_code == 200 and reencoded.json()["id"] == first["id"]
    assert Interchange.objects.count() == 1
    submitted.refresh_from_db()
    assert submitted.status == AuthStatus.APPROVED


def test_who_may_send_and_read_interchanges(
    api_as, make_user, manager, specialist, scheduler, outsider, integration, submitted
):
    from accounts import roles

    admin = make_user("adm1", roles.ADMIN)
    text = interchange("278", DECISION)
    for user in (specialist, scheduler, outsider):
        assert _post(api_as(user), text).status_code == 403
        assert api_as(user).get("/api/v1/x12/").status_code == 403
    assert _post(api_as(integration), text).status_code == 202
    for user in (manager, admin):
        listed = api_as(user).get("/api/v1/x12/")
        assert listed.status_code == 200 and listed.json()["count"] == 1


def test_the_command_imports_a_file_and_reports_it(tmp_path, capsys, submitted):
    path = tmp_path / "resp.x12"
    path.write_text(interchange("278", DECISION))
    call_command("import_x12", str(path))
    out = capsys.readouterr().out
    assert "278 0001 seg 14 decision applied" in out and ": done." in out
    call_command("import_x12", str(path))
    assert "imported before: nothing new" in capsys.readouterr().out
    broken = tmp_path / "broken.x12"
    broken.write_text(interchange("278", DECISION, control="2002").replace("GE*1*1", "GE*2*1"))
    with pytest.raises(CommandError, match="refused"):
        call_command("import_x12", str(broken))


def test_the_worker_task_applies_a_queued_interchange(submitted, manager):
    from x12feed.tasks import apply_interchange

    record, _ = services.receive(interchange("278", DECISION).encode(), name="r.x12", by=manager)
    assert apply_interchange.apply(args=[record.pk]).get() == "done"
    assert apply_interchange.apply(args=[record.pk]).get() is None  # delivered twice
    submitted.refresh_from_db()
    assert submitted.status == AuthStatus.APPROVED
