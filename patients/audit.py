"""The audit of patient data: who read or changed which records, when, from where.

Changes are recorded by database triggers (patients migration 0004), reads by
`record_view`, which every view that shows patient data calls with the records it shows.
`AuditMiddleware` gives each request an id and tells the database, before each write a
signed-in person makes, who is acting, so the triggers can record it.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from authq.lib.sql import id_array
from patients import sql as statements
from patients.models import AccessAction, AccessEvent

REQUEST_ID_HEADER = "X-Request-ID"

_READ_PREFIXES = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW")


def _writes_patient_data(sql: str) -> bool:
    """A statement that may write a table whose triggers read the acting person."""
    if sql.lstrip().upper().startswith(_READ_PREFIXES):
        return False
    return any(table in sql for table in statements.audited_tables())


def request_id(request: HttpRequest) -> str:
    """The id of this request, made on first use (32 hex digits)."""
    rid = getattr(request, "request_id", None)
    if not rid:
        rid = uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
    return rid


def remote_addr(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the address it forwards.

    When the connection comes from an address in AUTHQ_TRUSTED_PROXIES, X-Forwarded-For is
    read from the right (the address each proxy appended) and the first address that is not
    a trusted proxy is the client's. Anything else in that header is the client's own word
    and ignored. A malformed entry falls back to the proxy's address.
    """
    addr = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.AUTHQ_TRUSTED_PROXIES
    if not trusted or addr not in trusted:
        return addr
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        if hop in trusted:
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return addr
    return addr


def _known_user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id if the request already knows it, without a query.

    Django's lazy user is read only once something resolved it; DRF sets the Django
    request's `user` after authenticating a token or session.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped  # noqa: SLF001
        if wrapped is empty:
            return None
        user = wrapped
    if not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class AuditMiddleware:
    """Give each request an id; name the acting person to the database before each write.

    The settings are session-level (`set_config(..., false)`) and set again before every
    write statement, because a rolled-back transaction or savepoint would undo a value set
    inside it. They are cleared when the response is ready, so a pooled connection never
    carries one person's id into the next request, the scan or a command.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id(request)
        addr = remote_addr(request)
        state = {"set": False}

        def tell_database(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            user_id = _known_user_id(request)
            if user_id is not None and _writes_patient_data(sql):
                context["cursor"].execute(statements.SET_ACTOR, [str(user_id), rid, addr])
                state["set"] = True
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(tell_database):
                response = self.get_response(request)
        finally:
            if state["set"]:
                _clear_actor()
        response[REQUEST_ID_HEADER] = rid
        return response


def _clear_actor() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(statements.SET_ACTOR, ["", "", ""])
    except Exception:  # noqa: BLE001
        # A broken connection is closed by Django and takes its settings with it.
        connection.close_if_unusable_or_obsolete()


def _patient_ids(model: type[models.Model], ids: list[int]) -> list[int]:
    """The patients the records belong to: one query, whatever the number of records."""
    label = model._meta.label_lower
    if label == "patients.patient":
        return sorted(set(ids))
    names = {f.name for f in model._meta.get_fields()}
    if "patient" in names:
        path = "patient_id"
    elif "order" in names:
        path = "order__patient_id"
    else:
        return []
    return sorted(
        {
            pid
            for pid in model._default_manager.filter(pk__in=ids)
            .values_list(path, flat=True)
            .distinct()
            if pid is not None
        }
    )


def record_view(
    request: HttpRequest,
    objects_or_ids: Iterable[models.Model | int] | models.Model | int,
    model: type[models.Model] | None = None,
    *,
    patient_ids: Iterable[int] | None = None,
) -> AccessEvent | None:
    """Record that the signed-in person was shown these records (ids only).

    Call it with every record of patient data a page or partial shows, a list page with
    the ids on the page. `model` is needed when passing ids; `patient_ids` saves a query
    when the caller knows them. Nothing is recorded for an empty list or an anonymous user.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if isinstance(objects_or_ids, models.Model | int):
        objects_or_ids = [objects_or_ids]
    ids: list[int] = []
    for item in objects_or_ids:
        if isinstance(item, models.Model):
            model = model or type(item)
            ids.append(item.pk)
        else:
            ids.append(int(item))
    if not ids:
        return None
    if model is None:
        raise TypeError("record_view needs the model when given ids")
    pids = patient_ids if patient_ids is not None else _patient_ids(model, ids)
    (event,) = record_views(request, [(model, ids, pids)])
    return event


def record_views(
    request: HttpRequest,
    shown: Iterable[tuple[type[models.Model], Iterable[int], Iterable[int]]],
) -> list[AccessEvent]:
    """record_view for several models at once, (model, ids, patient_ids) each: one row
    per model with ids, all written by one INSERT (patients.sql.insert_access_events)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    rid, addr = request_id(request), remote_addr(request) or None
    events = [
        AccessEvent(
            user_id=user.pk,
            remote_addr=addr,
            request_id=rid,
            action=AccessAction.VIEW,
            model=model._meta.label_lower,
            object_ids=sorted(set(ids)),
            patient_ids=sorted(set(pids)),
        )
        for model, ids, pids in ((m, list(i), list(p)) for m, i, p in shown)
        if ids
    ]
    if not events:
        return []
    params: list[int | str | None] = []
    for e in events:
        params += [e.user_id, e.remote_addr, e.request_id, e.action, e.model]
        params += [id_array(e.object_ids), id_array(e.patient_ids)]
    with connection.cursor() as cursor:
        cursor.execute(statements.insert_access_events(len(events)), params)
        for event, (pk, at) in zip(events, cursor.fetchall(), strict=True):
            event.pk, event.at = pk, at
            event._state.adding = False  # noqa: SLF001
    return events


def shows_patient_data(model: type[models.Model]) -> bool:
    """A patient, or a record of one (it has a patient or an order): its reads are audited."""
    if model._meta.label_lower == "patients.patient":
        return True
    names = {f.name for f in model._meta.get_fields()}
    return "patient" in names or "order" in names


def _cached_patient_id(record: models.Model) -> int | None:
    """The record's patient id when it is at hand without a query, else None."""
    if record._meta.label_lower == "patients.patient":
        return record.pk
    patient_id = getattr(record, "patient_id", None)
    if patient_id is not None:
        return patient_id
    order_field = next(
        (
            f
            for f in record._meta.concrete_fields
            if f.name == "order" and isinstance(f, models.ForeignKey)
        ),
        None,
    )
    if order_field is not None and order_field.is_cached(record):
        return getattr(order_field.get_cached_value(record), "patient_id", None)
    return None


def record_api_reads(request: HttpRequest, records: Sequence[models.Model]) -> None:
    """The REST API's reads (settings.AUTHQ_API_READ_AUDIT, called by
    authq.lib.records.AuditedReadsMixin): one AccessEvent for the records a response
    returns; models that hold no patient data record nothing."""
    model = type(records[0])
    if not shows_patient_data(model):
        return
    patient_ids = [_cached_patient_id(r) for r in records]
    record_view(
        request,
        list(records),
        model,
        patient_ids=None if None in patient_ids else [p for p in patient_ids if p],
    )
