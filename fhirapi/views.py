"""The FHIR endpoints: DRF views (the REST API's sign-in, tokens and rate limits) that
read and answer FHIR JSON; every refusal is an OperationOutcome."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# The FHIR models take seconds to import: loaded on the first FHIR request, not with the
# URLconf that every web worker loads (tests/test_startup.py).
from fhirapi.faults import Fault
from patients.audit import record_views
from patients.models import Coverage, Order, Patient
from payers.models import Authorization

FHIR_JSON = "application/fhir+json"
TAKEN_TYPES = (FHIR_JSON, "application/json")

# GET Claim/<id>: the request, its patient, coverages, order and diagnoses.
CLAIM_PERMISSIONS = (
    "payers.view_authorization",
    "patients.view_patient",
    "patients.view_coverage",
    "patients.view_order",
    "patients.view_diagnosis",
)


class FhirRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


def _dump(resource: Any) -> dict[str, Any]:
    data: dict[str, Any] = resource.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def _outcome(status: int, faults: list[Fault], **headers: str) -> Response:
    from fhirapi import services

    return Response(
        _dump(services.operation_outcome(faults)),
        status=status,
        headers=headers or None,
        content_type=FHIR_JSON,
    )


class FhirView(APIView):
    # Described by its CapabilityStatement (GET /fhir/metadata), not the OpenAPI schema.
    schema = None
    permission_classes = [IsAuthenticated]
    renderer_classes = [FhirRenderer, JSONRenderer]
    # The body is read here as FHIR JSON, so a bad one is an OperationOutcome.
    parser_classes: list[Any] = []

    def base(self, request: Request) -> str:
        return request.build_absolute_uri(reverse("fhirapi:base"))

    def handle_exception(self, exc: Exception) -> Response:
        """DRF's refusals (401, 403, 429...) with their status and headers, as an
        OperationOutcome."""
        response = super().handle_exception(exc)
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = {401: "login", 403: "forbidden", 429: "throttled"}.get(
            response.status_code, "processing"
        )
        headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After")}
        return _outcome(response.status_code, [Fault("", str(detail or exc), code=code)], **headers)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response):
            response.content_type = FHIR_JSON
        return response


class BundleView(FhirView):
    """POST a batch or transaction Bundle; the answer has one entry per entry sent."""

    def post(self, request: Request) -> Response:
        from fhirapi import services

        if not services.can_write_any(request.user):
            raise PermissionDenied("You may not write records.")
        media = request.content_type.split(";")[0].strip().lower()
        if media not in TAKEN_TYPES:
            return _outcome(
                415, [Fault("", f"Send the Bundle as {FHIR_JSON}.", code="not-supported")]
            )
        try:
            body = json.loads(request.body)
        except (ValueError, RecursionError):
            return _outcome(400, [Fault("Bundle", "The body is not JSON.", code="structure")])
        try:
            outcome = services.apply_bundle(body, request=request)
        except services.BundleRefused as exc:
            return _outcome(400, exc.faults)
        return Response(_dump(outcome.resource), status=outcome.status)


class MetadataView(FhirView):
    """The CapabilityStatement: what this server supports."""

    def get(self, request: Request) -> Response:
        from fhirapi import pas

        return Response(_dump(pas.capability_statement(self.base(request))))


class ClaimView(FhirView):
    """An authorization request as a Da Vinci PAS request Bundle."""

    def get(self, request: Request, pk: int) -> Response:
        from fhirapi import pas

        if not all(request.user.has_perm(p) for p in CLAIM_PERMISSIONS):
            raise PermissionDenied("You may not read authorization requests.")
        shown = pas.request_records(pk)
        if shown is None:
            return _outcome(
                404,
                [Fault("Claim", f"No authorization request {pk}.", code="not-found")],
            )
        bundle = pas.pas_request_bundle(shown, self.base(request))
        pid = [shown.patient.pk]
        record_views(
            request._request,  # noqa: SLF001 - the audit reads Django's request
            [
                (Authorization, [shown.authorization.pk], pid),
                (Patient, pid, pid),
                (Order, [shown.order.pk], pid),
                (Coverage, [c.pk for c in shown.coverages], pid),
            ],
        )
        return Response(_dump(bundle))
