"""schemathesis against the served schema: generated requests, valid and invalid, sent to
a live server with a real token; every built-in check on every answer (no server error;
status, content type, headers and body as documented; invalid data refused; valid data
accepted) and one of ours (a 400 names fields the operation has or the request sent)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from accounts.tokens import issue_token
from tests.api.conftest import order_payload, patient_payload, payer_payload

pytestmark = pytest.mark.django_db(transaction=True)

# Examples per operation and mode: 46 operations, bounded for a small shared machine.
EXAMPLES = 10

# Schema-valid data the server may still refuse with a 400, because the schema cannot
# state the rule: a reference must name a stored record (`"payer": "ACME"`), a date must
# fall in the practice's window, an end must follow its start. `names_its_fields` below
# holds every 400 to naming fields of the operation (or fields the request sent).
CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"]
"""
)


def _served_schema(base: str, key: str) -> dict[str, Any]:
    response = requests.get(
        f"{base}/api/schema/",
        headers={"Authorization": f"Token {key}", "Accept": "application/vnd.oai.openapi+json"},
        timeout=30,
    )
    assert response.status_code == 200
    return response.json()


def _field_names(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The body properties and query parameters an operation documents."""
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json") or content.get("multipart/form-data")
    if body is not None:
        ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
        names |= set(document["components"]["schemas"][ref]["properties"])
    return names | {"detail", "non_field_errors"}


def names_its_fields(document: dict[str, Any]) -> Any:
    def check(ctx: Any, response: Any, case: Any) -> bool:
        if response.status_code != 400:
            return True
        operation = document["paths"][case.operation.path][case.method.lower()]
        named = set(response.json())
        # The documented fields, and any other the request sent (a NUL in an unknown one).
        sent = set(case.query or {}) | set(case.body if isinstance(case.body, dict) else {})
        unknown = named - _field_names(document, operation) - sent
        assert named and not unknown, f"400 names {sorted(unknown) or 'nothing'}"
        return True

    return check


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, integration, settings
):
    # Every call answered, none throttled: the limit itself is tests/security/test_throttling.py.
    settings.AUTHQ_THROTTLE_RATES = {**settings.AUTHQ_THROTTLE_RATES, "api": "100000/minute"}
    _token, key = issue_token(integration)
    auth = {"Authorization": f"Token {key}"}
    base = live_server.url
    # A payer, a patient and an order, so generated reads and references can hit records.
    for collection, payload in (
        ("payers", payer_payload()),
        ("patients", patient_payload()),
        ("orders", order_payload()),
    ):
        answer = requests.post(f"{base}/api/v1/{collection}/", json=payload, headers=auth)
        assert answer.status_code == 201, answer.text
    document = _served_schema(base, key)
    schema = schemathesis.openapi.from_dict(document, config=CONFIG)
    extra_check = names_its_fields(document)
    session = requests.Session()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 48  # with x12/, x12/{id}/, hl7-messages/, hl7-messages/{id}/
    for operation in operations:
        modes = [GenerationMode.POSITIVE]
        # A path key is any string, so only a body or a query can be made invalid.
        if operation.body or operation.query:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                case.call_and_validate(
                    base_url=base, session=session, headers=auth, additional_checks=[extra_check]
                )

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failures
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)
