"""Why a FHIR entry or request is refused (apart from reading, so the views can answer
a refusal without loading the FHIR models)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Fault:
    """Why an entry is refused: the FHIRPath at fault, the message, the issue's code
    (OperationOutcome.issue.code) and the HTTP status of the entry's answer."""

    path: str
    message: str
    code: str = "invalid"
    status: str = "400 Bad Request"
