"""OpenAPI postprocessing: the error answers every operation can give, in one shared
shape, and the key rules drf-spectacular cannot see (keys a PATCH cannot change, the
key pattern).

drf-spectacular documents the success answers only; a generated client and schemathesis
need the errors too. Wired as a POSTPROCESSING_HOOK in SPECTACULAR_SETTINGS.
"""

from __future__ import annotations

from typing import Any

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"

ERROR_SCHEMA = {
    "type": "object",
    "description": "Why the request was refused.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Bad input: each field at fault (a body field or a query parameter) maps to its "
        "messages (a list of strings, or for a list field an object keyed by the index "
        "of the item at fault). `non_field_errors` holds rules that involve several "
        "fields; `detail` alone says the body could not be read as JSON."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {},
}

# status: (description, component)
ANSWERS: dict[str, tuple[str, str]] = {
    "400": ("Bad input; nothing was saved.", VALIDATION_ERROR),
    "401": ("No credentials, or an invalid, expired or revoked token.", ERROR),
    "403": ("The account's role does not allow this.", ERROR),
    "404": ("No record with this key.", ERROR),
    "409": (
        "A record with the same key was stored meanwhile; nothing was saved. Fields of "
        "the clash may be named besides `detail`.",
        ERROR,
    ),
    "413": ("The request body is too large.", ERROR),
    "415": ("The body is not JSON: send Content-Type: application/json.", ERROR),
    "429": ("Too many requests; wait the seconds in Retry-After.", ERROR),
}


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error answers this operation can give."""
    statuses = ["401", "403", "429"]
    writes = "requestBody" in operation
    # A body, a query parameter or a key in the path (a NUL in it) can be bad input.
    if writes or operation.get("parameters"):
        statuses.append("400")
    if "{" in path:
        statuses.append("404")
    if writes:
        statuses += ["409", "413", "415"]
    return sorted(statuses)


def _record_serializers() -> list[type]:
    from authq.lib.records import RecordSerializer  # the settings load this module first

    found: list[type] = []
    pending: list[type[RecordSerializer]] = [RecordSerializer]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def fix_keys(schemas: dict[str, Any]) -> None:
    """A PATCH body without the fields a PATCH cannot change (a record's natural key or
    the record it belongs to): they are read-only there."""
    for serializer in _record_serializers():
        fixed = getattr(serializer, "fixed_fields", ())
        name = serializer.__name__.removesuffix("Serializer")
        patched = schemas.get(f"Patched{name}Request")
        if not fixed or patched is None:
            continue
        for field in fixed:
            patched.get("properties", {}).pop(field, None)
        note = f"Cannot be changed here: {', '.join(fixed)}."
        patched["description"] = f"{patched.get('description', '')}\n\n{note}".strip()


def key_patterns(schemas: dict[str, Any]) -> None:
    """A natural key in a request body states validate_key's rules as its pattern."""
    from authq.lib.bounds import KEY_PATTERN, validate_key

    for serializer in _record_serializers():
        request = schemas.get(f"{serializer.__name__.removesuffix('Serializer')}Request")
        if request is None:
            continue
        for name, field in serializer().fields.items():
            if validate_key in getattr(field, "validators", ()) and name in request["properties"]:
                request["properties"][name]["pattern"] = KEY_PATTERN


def describe_errors_and_keys(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    fix_keys(schemas)
    key_patterns(schemas)
    schemas[ERROR] = ERROR_SCHEMA
    schemas[VALIDATION_ERROR] = VALIDATION_ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                description, component = ANSWERS[status]
                answer: dict[str, Any] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{component}"}
                        }
                    },
                }
                if status == "429":
                    answer["headers"] = {
                        "Retry-After": {
                            "schema": {"type": "integer"},
                            "description": "Seconds to wait before trying again.",
                        }
                    }
                responses.setdefault(status, answer)
    return result
