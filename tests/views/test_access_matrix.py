"""S20, S21, S22, S23: every URL pattern of authq, for every persona.

The table EXPECTED below names every URL pattern (HTML and API). A new pattern without a
row fails `test_every_url_pattern_has_a_row`, so whoever adds a URL decides who may use it.

Codes: "ok" the page or answer (GET 200; POST reached the action: 200, 302, 400 or 409),
"login" a redirect to sign-in, "home" a redirect away from the sign-in page, 401/403/404.
Each route with an id is asked twice: with a real id, and with one that does not exist
(the second answers 404 to whoever passes the function-level check, S20).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from feeds.models import Hl7Message
from intake.models import ImportProfile, ImportRun
from patients.models import Coverage, Order, Patient
from payers.models import Authorization, ReviewVendor
from tests import factories as f
from worklists.models import ItemKind, Queue, WorkItem
from x12feed.models import Interchange

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "outsider", "scheduler", "specialist", "manager", "integration")
A, O, S, SP, M, I = PERSONAS  # noqa: E741

# The Django admin has its own sign-in for staff; none of the personas is staff.
SKIPPED_NAMESPACES = ("admin",)


@dataclass(frozen=True)
class Row:
    method: str
    args: tuple[str, ...]  # names of world objects filling the pattern's arguments
    expect: dict[str, object]
    query: tuple[tuple[str, str], ...] = ()  # GET parameters (world names as values)


def everyone(code: object, **but: object) -> dict[str, object]:
    table: dict[str, object] = dict.fromkeys(PERSONAS, code)
    table.update({k.replace("_", ""): v for k, v in but.items()})
    return table


def html(ok: tuple[str, ...], denied: object = 403) -> dict[str, object]:
    """An HTML page: sign-in first, then the roles in `ok`; the rest `denied`."""
    table: dict[str, object] = {p: ("ok" if p in ok else denied) for p in PERSONAS}
    table[A] = "login"
    return table


def api(ok: tuple[str, ...]) -> dict[str, object]:
    table: dict[str, object] = {p: ("ok" if p in ok else 403) for p in PERSONAS}
    table[A] = 401
    return table


WORKERS = (SP,)
QUEUE_READERS = (SP, M)
SCHEDULING = (S, SP, M, I)
ALL_RECORD_READERS = (SP, M, I)

EXPECTED: dict[str, Row] = {
    # Sign-in.
    "login": Row("GET", (), everyone("home", anonymous="ok")),
    "logout": Row("POST", (), everyone("login")),
    # The favicon: a permanent redirect to the static SVG, for everyone.
    "favicon": Row("GET", (), everyone(301)),
    # Sign-in lockouts: managers (and admins) see and lift them.
    "lockouts": Row("GET", (), html((M,))),
    "unlock": Row("POST", ("lockout",), html((M,))),
    # The home page sends each person to their page.
    "worklists:home": Row(
        "GET", (), {**html((), 403), S: "redirect", SP: "redirect", M: "redirect", I: "redirect"}
    ),
    # Queues and claiming (D).
    "worklists:queue": Row("GET", (), html(QUEUE_READERS + (I,))),
    "worklists:claim-next": Row("POST", (), html(WORKERS)),
    # Waiting on the payer: whoever reads the queues and authorizations.
    "worklists:pending": Row("GET", (), html(QUEUE_READERS + (I,))),
    "worklists:claim": Row("POST", ("item",), html(WORKERS)),
    "worklists:release": Row("POST", ("item",), html(WORKERS + (M,))),
    "worklists:assign": Row("POST", ("item",), html(WORKERS + (M,))),
    "worklists:assign-menu": Row("GET", ("item",), html(WORKERS + (M,))),
    # The work item and its actions (E).
    "worklists:item": Row("GET", ("item",), html(QUEUE_READERS + (I,))),
    "worklists:item-benefits": Row("POST", ("item", "coverage"), html(WORKERS)),
    "worklists:item-submit": Row("POST", ("item",), html(WORKERS)),
    "worklists:item-decide": Row("POST", ("item",), html(WORKERS)),
    "worklists:item-peer-review": Row("POST", ("item",), html(WORKERS)),
    "worklists:item-appeal": Row("POST", ("item",), html(WORKERS)),
    # A real item, a review that does not exist: the role check comes first, then 404.
    "worklists:item-peer-review-outcome": Row(
        "POST", ("item", "missing"), {**html((), 403), SP: 404}
    ),
    "worklists:item-appeal-outcome": Row("POST", ("item", "missing"), {**html((), 403), SP: 404}),
    "worklists:item-document": Row("POST", ("item",), html(WORKERS)),
    # A real item, a document that does not exist; the interface engine never gets documents.
    "worklists:item-document-download": Row(
        "GET", ("item", "missing"), {**html((), 403), SP: 404, M: 404}
    ),
    "worklists:item-note": Row("POST", ("item",), html(WORKERS)),
    "worklists:item-follow-up": Row("POST", ("item",), html(WORKERS)),
    "worklists:item-notify": Row("POST", ("item",), html(WORKERS)),
    "worklists:item-notify-preview": Row("POST", ("item",), html(WORKERS)),
    "worklists:item-notifications": Row("GET", ("item",), html(QUEUE_READERS + (I,))),
    # A real item, a notification that does not exist: the role check first, then 404.
    "worklists:item-notification-letter": Row(
        "GET", ("item", "missing"), {**html((), 403), SP: 404}
    ),
    "worklists:item-notification-resend": Row(
        "POST", ("item", "missing"), {**html((), 403), SP: 404}
    ),
    "worklists:item-dismiss": Row("POST", ("item",), html(WORKERS)),
    # The scheduler's page (F).
    "worklists:scheduler": Row("GET", (), html(SCHEDULING)),
    "worklists:scheduler-order": Row("GET", ("order",), html(SCHEDULING)),
    "worklists:scheduler-request-auth": Row("POST", ("order",), html(SCHEDULING)),
    # The trail (F).
    "worklists:order-timeline": Row("GET", ("order",), html(QUEUE_READERS)),
    "worklists:patient-timeline": Row("GET", ("patient",), html(QUEUE_READERS)),
    "worklists:audit": Row("GET", (), html((M,))),
    # Search from the header (a POST: the query is PHI) and the order's workspace.
    "worklists:search": Row("POST", (), html(SCHEDULING)),
    "worklists:order": Row("GET", ("order",), html(QUEUE_READERS + (I,))),
    "worklists:order-document": Row(
        "GET", ("order", "missing"), {**html((), 403), SP: 404, M: 404}
    ),
    "worklists:order-request-auth": Row("POST", ("order",), html(WORKERS)),
    # The managers' dashboard (H): managers and admins only (no admin persona here).
    "reports:dashboard": Row("GET", (), html((M,))),
    # The REST API.
    "api:api-root": Row("GET", (), api(PERSONAS[1:])),
    "api:auth-check": Row("GET", (), api(SCHEDULING), (("order", "order_key"), ("date", "a_date"))),
    "api:payer-list": Row("GET", (), api(ALL_RECORD_READERS)),
    "api:payer-detail": Row("GET", ("payer_code",), api(ALL_RECORD_READERS)),
    "api:payer-rule-list": Row("GET", (), api(ALL_RECORD_READERS)),
    "api:payer-rule-detail": Row("GET", ("rule",), api(ALL_RECORD_READERS)),
    "api:review-vendor-list": Row("GET", (), api(ALL_RECORD_READERS)),
    "api:review-vendor-detail": Row("GET", ("vendor",), api(ALL_RECORD_READERS)),
    "api:patient-list": Row("GET", (), api(SCHEDULING)),
    "api:patient-detail": Row("GET", ("mrn",), api(SCHEDULING)),
    "api:coverage-list": Row("GET", (), api(ALL_RECORD_READERS)),
    "api:coverage-detail": Row("GET", ("coverage",), api(ALL_RECORD_READERS)),
    "api:order-list": Row("GET", (), api(SCHEDULING)),
    "api:order-detail": Row("GET", ("order_key",), api(SCHEDULING)),
    "api:appointment-list": Row("GET", (), api(SCHEDULING)),
    "api:appointment-detail": Row("GET", ("appointment_key",), api(SCHEDULING)),
    "api:authorization-list": Row("GET", (), api(SCHEDULING)),
    "api:authorization-detail": Row("GET", ("auth",), api(SCHEDULING)),
    "api:work-item-list": Row("GET", (), api(QUEUE_READERS + (I,))),
    "api:work-item-detail": Row("GET", ("item",), api(QUEUE_READERS + (I,))),
    # Imports from files: managers (and admins) only, on the page and through the API.
    "intake:imports": Row("GET", (), html((M,))),
    "intake:run": Row("GET", ("import_run",), html((M,))),
    "intake:rejected-csv": Row("GET", ("import_run",), html((M,))),
    "api:import-profile-list": Row("GET", (), api((M,))),
    "api:import-profile-detail": Row("GET", ("profile_name",), api((M,))),
    # The integration engine sends JSON batches: it lists and polls only the runs it sent
    # (the matrix's run was started by someone else: 404).
    "api:import-list": Row("GET", (), api((M, I))),
    "api:import-detail": Row("GET", ("import_run",), {**api((M,)), I: 404}),
    "api:import-rejected": Row("GET", ("import_run",), {**api((M,)), I: 404}),
    # The HL7 feed's messages hold PHI in full: administrators only (no admin persona here).
    "feeds:interfaces": Row("GET", (), html(())),
    "feeds:message": Row("GET", ("hl7_message",), html(())),
    "feeds:replay": Row("POST", ("hl7_message",), html(())),
    "api:hl7-message-list": Row("GET", (), api(())),
    "api:hl7-message-detail": Row("GET", ("hl7_message",), api(())),
    # FHIR R4: bundles by those who may write records (415: the test posts no Bundle),
    # the PAS request Bundle by those who may read requests and diagnoses.
    "fhirapi:base": Row("POST", (), {**api((SP, I)), SP: 415, I: 415}),
    "fhirapi:metadata": Row("GET", (), api(PERSONAS[1:])),
    "fhirapi:claim": Row("GET", ("auth",), api(ALL_RECORD_READERS)),
    # X12 interchanges: managers (and admins) and the integration engine that relays them.
    "x12feed:upload": Row("GET", (), html((M, I))),
    "x12feed:interchange": Row("GET", ("interchange",), html((M, I))),
    "x12feed:rejected-csv": Row("GET", ("interchange",), html((M, I))),
    "api:x12-list": Row("GET", (), api((M, I))),
    "api:x12-detail": Row("GET", ("interchange",), api((M, I))),
    "schema": Row("GET", (), api(PERSONAS[1:])),
    "schema-ui": Row("GET", (), api(PERSONAS[1:])),
}


# allauth's account pages (S16-S18): each person's own sign-in settings, the same for every
# role and holding no patient data. What anonymous and signed-in people get, by GET;
# "reauth" is a redirect to confirm the password first. The two with a key in the URL (the
# links mailed for email confirmation and password reset) are checked in test_mfa.py.
ACCOUNT_PAGES: dict[str, tuple[object, object]] = {
    "account_login": ("ok", "redirect"),
    "account_logout": (405, 405),
    "account_inactive": ("ok", "ok"),
    "account_signup": ("ok", "redirect"),  # says sign-up is closed
    "account_reauthenticate": ("login", "ok"),
    "account_request_reauthentication_code": ("login", 403),
    "account_confirm_reauthentication_code": ("login", 403),
    "account_email": ("login", "ok"),
    "account_email_verification_sent": ("ok", "ok"),
    "account_confirm_email": (None, None),
    "account_change_password": ("login", "ok"),
    "account_set_password": ("login", "redirect"),
    "account_reset_password": ("ok", "ok"),
    "account_reset_password_from_key": (None, None),
    "account_reset_password_from_key_done": ("ok", "ok"),
    "account_reset_password_done": ("ok", "ok"),
    "account_confirm_login_code": ("login", "redirect"),
    "mfa_index": ("login", "ok"),
    "mfa_authenticate": ("login", "redirect"),
    "mfa_reauthenticate": ("login", "ok"),
    "mfa_activate_totp": ("login", "reauth"),
    "mfa_deactivate_totp": ("login", "reauth"),
    "mfa_view_recovery_codes": ("login", "reauth"),
    "mfa_generate_recovery_codes": ("login", "reauth"),
    "mfa_download_recovery_codes": ("login", "reauth"),
}


def url_patterns() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns: list[Any], ns: str) -> Iterator[tuple[str, URLPattern]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in SKIPPED_NAMESPACES:
                    continue
                sub = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                yield from walk(p.url_patterns, sub)
            else:
                yield (f"{ns}:{p.name}" if ns else str(p.name)), p

    yield from walk(get_resolver().url_patterns, "")


def test_every_url_pattern_has_a_row() -> None:
    names = {name for name, _ in url_patterns()}
    rows = EXPECTED.keys() | ACCOUNT_PAGES.keys()
    assert names - rows == set(), "add these URLs to EXPECTED (or ACCOUNT_PAGES)"
    assert rows - names == set(), "these rows name no URL"


def test_account_pages_answer_every_role_alike(clients: dict[str, Client]) -> None:
    problems = []
    for name, (anonymous, signed_in) in ACCOUNT_PAGES.items():
        if anonymous is None:
            continue
        url = reverse(name)
        for persona in (A, O, S, SP, M):
            response = clients[persona].get(url)
            got = answer(response)
            if got == "redirect" and response["Location"].startswith(
                reverse("account_reauthenticate")
            ):
                got = "reauth"
            got = "ok" if got == 200 else got
            expected = anonymous if persona == A else signed_in
            if got != expected:
                problems.append(f"GET {name} as {persona}: {got}, expected {expected}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def world(make_user: Any) -> dict[str, Any]:
    payer, patient = f.practice("WORLD")
    patient.coverages.update(member_id="WORLDMEMBER1234")
    order = f.order(patient, diagnosis_codes=["M54.50"])
    appointment = f.visit(order, f.d("2026-12-20"))
    auth = f.auth(order, auth_number="W-1", start_date="2026-11-01", end_date="2026-12-31")
    vendor = ReviewVendor.objects.create(payer=payer, service_category="imaging", vendor="V")
    profile = ImportProfile.objects.create(name="WORLD-PM", kind="schedule")
    run = ImportRun.objects.create(profile=profile, file_name="w.csv", sha256="0" * 64)
    x12 = Interchange.objects.create(file_name="w.x12", sha256="1" * 64, status="done")
    item = WorkItem.objects.create(
        order=order,
        kind=ItemKind.MISSING_AUTH,
        queue=Queue.STAT,
        due_date=f.d("2026-12-13"),
        last_seen_as_of=f.d("2026-11-20"),
    )
    return {
        "patient": patient.pk,
        "order": order.pk,
        "item": item.pk,
        "coverage": Coverage.objects.get(patient=patient).pk,
        "auth": auth.pk,
        "rule": payer.rules.get().pk,
        "vendor": vendor.pk,
        "payer_code": payer.code,
        "import_run": run.pk,
        "interchange": x12.pk,
        "hl7_message": Hl7Message.objects.create(
            control_id="W1", status="rejected", ack_code="AE", raw="MSH|^~\\&|", ack=""
        ).pk,
        "profile_name": profile.name,
        "mrn": patient.mrn,
        "order_key": order.external_id,
        "appointment_key": appointment.external_id,
        "missing": 987654,
        "a_date": "2026-12-20",
        "lockout": AccessAttempt.objects.create(
            username="someone",
            ip_address="10.0.0.9",
            user_agent="test",
            get_data="",
            post_data="",
            http_accept="*/*",
            path_info="/accounts/login/",
            failures_since_start=5,
            attempt_time=timezone.now(),
        ).pk,
    }


MISSING = {
    "patient": 987654,
    "order": 987654,
    "item": 987654,
    "coverage": 987654,
    "auth": 987654,
    "rule": 987654,
    "vendor": 987654,
    "payer_code": "NOPE",
    "import_run": 987654,
    "interchange": 987654,
    "hl7_message": 987654,
    "profile_name": "NOPE",
    "mrn": "NOPE",
    "order_key": "NOPE",
    "appointment_key": "NOPE",
    "missing": 987654,
    "a_date": "2026-12-20",
    "lockout": 987654,
}


@pytest.fixture
def clients(
    outsider: User, scheduler: User, specialist: User, manager: User, integration: User
) -> dict[str, Client]:
    made: dict[str, Client] = {A: APIClient()}
    for name, user in (
        (O, outsider),
        (S, scheduler),
        (SP, specialist),
        (M, manager),
        (I, integration),
    ):
        client = APIClient()
        client.force_login(user)
        made[name] = client
    return made


def answer(response: Any) -> object:
    code = response.status_code
    if code == 302:
        location = response["Location"]
        if location.startswith(reverse("login")):
            return "login"
        return "redirect"
    return code


def normalise(name: str, method: str, got: object) -> object:
    if method == "GET" and got == 200:
        return "ok"
    if method == "POST" and got in (200, 204, 400, 409, "redirect"):
        return "ok"
    if name == "login" and got == "redirect":
        return "home"
    return got


def rows() -> list[tuple[str, Row]]:
    """The table with sign-out last, so it does not end the other requests' sessions."""
    return sorted(EXPECTED.items(), key=lambda kv: kv[0] == "logout")


def _url(name: str, row: Row, values: dict[str, Any]) -> str:
    url = reverse(name, args=[values[a] for a in row.args])
    if row.query:
        url += "?" + "&".join(f"{k}={values[v]}" for k, v in row.query)
    return url


def test_each_persona_gets_the_expected_answer_on_each_url(
    world: dict[str, Any], clients: dict[str, Client]
) -> None:
    problems = []
    for name, row in rows():
        for persona in PERSONAS:
            client = clients[persona]
            url = _url(name, row, world)
            response = client.get(url) if row.method == "GET" else client.post(url)
            got = normalise(name, row.method, answer(response))
            if got != row.expect[persona]:
                problems.append(
                    f"{row.method} {name} as {persona}: {got}, expected {row.expect[persona]}"
                )
    assert not problems, "\n".join(problems)


def test_partials_check_the_role_too(world: dict[str, Any], clients: dict[str, Client]) -> None:
    """Every URL asked as htmx asks for its partials (HX-Request): the same answers."""
    problems = []
    for name, row in rows():
        for persona in PERSONAS:
            client = clients[persona]
            url = _url(name, row, world)
            send = client.get if row.method == "GET" else client.post
            got = normalise(name, row.method, answer(send(url, HTTP_HX_REQUEST="true")))
            if got != row.expect[persona]:
                problems.append(
                    f"htmx {row.method} {name} as {persona}: {got}, expected {row.expect[persona]}"
                )
    assert not problems, "\n".join(problems)


def test_ids_that_do_not_exist_answer_404_after_the_role_check(
    world: dict[str, Any], clients: dict[str, Client]
) -> None:
    problems = []
    for name, row in rows():
        if not row.args:
            continue
        for persona in PERSONAS:
            allowed = row.expect[persona] == "ok"
            expected = 404 if allowed else row.expect[persona]
            url = _url(name, row, MISSING)
            client = clients[persona]
            response = client.get(url) if row.method == "GET" else client.post(url)
            got = normalise(name, row.method, answer(response))
            # A role refused the function may learn that an id does not exist: 403 or 404.
            if allowed and got != 404 or not allowed and got not in (expected, 404):
                problems.append(
                    f"{row.method} {name} (missing id) as {persona}: {got}, expected {expected}"
                )
    assert not problems, "\n".join(problems)


# S22: minimum necessary for schedulers.

SCHEDULER_PAGES = ("worklists:scheduler-order",)


def test_scheduler_pages_and_json_show_no_diagnosis_document_or_member_id(
    world: dict[str, Any], clients: dict[str, Client]
) -> None:
    client = clients[S]
    bodies = []
    for name, row in rows():
        if row.method != "GET" or row.expect[S] != "ok" or name.startswith("schema"):
            continue  # the API schema documents fields; it holds no one's data
        query = {"q": world["mrn"]} if name == "worklists:scheduler" else {}
        if name == "worklists:scheduler-order":
            query = {"day": "2026-12-20"}
        response = client.get(_url(name, row, world), query)
        assert response.status_code == 200, name
        bodies.append((name, response.content.decode()))
        partial = client.get(_url(name, row, world), query, HTTP_HX_REQUEST="true")
        assert partial.status_code == 200, name
        bodies.append((f"{name} (htmx)", partial.content.decode()))
    # The answer to "ask for an authorization", as the page swaps it in.
    response = client.post(
        _url(
            "worklists:scheduler-request-auth", EXPECTED["worklists:scheduler-request-auth"], world
        ),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    bodies.append(("worklists:scheduler-request-auth (htmx)", response.content.decode()))
    for name, body in bodies:
        assert "M54.50" not in body, name
        assert "diagnos" not in body.lower(), name
        assert "/documents/" not in body, name
        assert "WORLDMEMBER1234" not in body, name
    assert any("1234" in body for _, body in bodies)  # the masked member id is shown


# S23: CSRF on every unsafe method; GET changes no rows.


def test_posts_without_the_csrf_token_are_refused(
    world: dict[str, Any], specialist: User, manager: User, scheduler: User
) -> None:
    for user in (specialist, manager, scheduler):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        for name, row in rows():
            if row.method == "POST":
                response = client.post(_url(name, row, world))
                assert response.status_code == 403, f"{name} as {user.username}"


def _row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if table == "django_session":
                continue  # sign-in and the idle clock live here, not data
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def test_get_requests_change_no_rows(world: dict[str, Any], clients: dict[str, Client]) -> None:
    before = _row_counts()
    item_before = WorkItem.objects.values().get(pk=world["item"])
    orders_before = list(Order.objects.values())
    auths_before = list(Authorization.objects.values())
    for name, row in rows():
        if row.method != "GET":
            continue
        for persona in PERSONAS:
            clients[persona].get(_url(name, row, world))
    after = _row_counts()
    # Reads by people are audited (S25): only the audit table may grow.
    audit = "patients_accessevent"
    assert after.pop(audit) >= before.pop(audit)
    assert after == before
    assert WorkItem.objects.values().get(pk=world["item"]) == item_before
    assert list(Order.objects.values()) == orders_before
    assert list(Authorization.objects.values()) == auths_before
    assert Patient.objects.count() == 1
