"""The bases of every app's REST API: records written through services, looked up by
natural keys, filtered by query parameters, with reads audited and refusals as 400s.

Contract (see ../shared/spec/api.md): POST creates, or updates the record with the same
natural key and answers 200; PATCH changes one record by its key; there is no DELETE.
Bad input is a 400 whose JSON body names each field at fault, and nothing is saved.
(authq.lib.api holds the pieces the settings name; this module imports DRF's views.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import IntegrityError, models
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.encoding import smart_str
from django.utils.module_loading import import_string
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from authq.lib.exceptions import ActionRefused, DuplicateKey, TransitionNotAllowed
from authq.lib.permissions import RecordPermissions


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time with an offset; a naive one is refused, not guessed."""

    default_error_messages = {
        **serializers.DateTimeField.default_error_messages,
        "naive": "Give a date-time with an offset, e.g. 2026-12-01T09:00:00-05:00.",
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        parsed = value
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        if isinstance(parsed, dt.datetime) and timezone.is_naive(parsed):
            self.fail("naive")
        return super().to_internal_value(value)


class KeyRelatedField(serializers.SlugRelatedField):
    """A reference to another resource by its natural key (a payer's code, a patient's mrn)."""

    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "does_not_exist": "No {model} with {slug_name} '{value}'.",
    }

    def to_internal_value(self, data: Any) -> models.Model:
        queryset = self.get_queryset()
        # Only read-only related fields lack a queryset, and DRF never parses input for those.
        assert queryset is not None
        if isinstance(data, bool) or not isinstance(data, str | int) or "\x00" in str(data):
            self.fail("invalid")
        try:
            return queryset.get(**{self.slug_field: str(data)})
        except ObjectDoesNotExist:
            self.fail(
                "does_not_exist",
                model=queryset.model._meta.verbose_name,
                slug_name=self.slug_field,
                value=smart_str(data),
            )


UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE for a duplicate key


class Conflict(APIException):
    status_code = 409
    default_detail = "Conflicts with a record stored meanwhile; nothing was saved."
    default_code = "conflict"


def constraint_fields(constraint: models.BaseConstraint) -> set[str]:
    """The model fields a database constraint reads, to name them in a 400."""
    if isinstance(constraint, models.UniqueConstraint):
        return set(constraint.fields)
    names: set[str] = set()
    pending: list[Any] = [getattr(constraint, "condition", None)]
    while pending:
        node = pending.pop()
        if isinstance(node, Q):
            pending.extend(node.children)
        elif isinstance(node, tuple):
            lookup, value = node
            names.add(lookup.split("__")[0])
            if isinstance(value, F):
                # django-stubs' F does not declare the `name` that Django's F sets.
                names.add(value.name.split("__")[0])  # type: ignore[attr-defined]
    return names


def constraint_errors(exc: IntegrityError) -> dict[str, list[str]]:
    """A 400 body for a constraint the serializers did not catch first (a race, a new rule)."""
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name:
                message = f"Breaks the rule {name}."
                return {f: [message] for f in sorted(constraint_fields(constraint))}
    return {"non_field_errors": [f"Conflicts with the stored records ({name or 'integrity'})."]}


class RecordSerializer(serializers.ModelSerializer):
    """A record written through its app's services.

    Subclasses give `upsert` (POST) and `change` (PATCH), and may give `find_existing`
    (the record a POST would update) and `check` (rules that need the services, such as
    allowed status moves). Cross-field rules are the model's own `clean()`, asked of the
    record as this write would leave it, so a 400 names the same fields as the admin.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: AwareDateTimeField,
    }
    # The natural key, or the parent a record belongs to: PATCH cannot change these.
    fixed_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.created = False
        self.existing: models.Model | None = None

    def record_model(self) -> type[models.Model]:
        """The model of Meta (the stubs cannot type Meta.model of an unparameterised class)."""
        model: type[models.Model] = self.Meta.model
        return model

    def find_existing(self, attrs: dict[str, Any]) -> models.Model | None:
        return None

    def check(self, attrs: dict[str, Any]) -> dict[str, list[str]]:
        return {}

    def upsert(self, data: dict[str, Any]) -> tuple[models.Model, bool]:
        raise NotImplementedError

    def change(self, record: Any, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def value(self, attrs: dict[str, Any], name: str) -> Any:
        """The field's value once this write is saved."""
        if name in attrs:
            return attrs[name]
        if self.existing is not None:
            return getattr(self.existing, name)
        model_field = self.record_model()._meta.get_field(name)
        assert isinstance(model_field, models.Field)  # a column of the record, not a reverse
        return model_field.get_default()

    def model_errors(self, attrs: dict[str, Any]) -> dict[str, list[str]]:
        """The model's clean() on the record as it would be once this write is saved."""
        model = self.record_model()
        names = {f.name for f in model._meta.concrete_fields}
        record = model()
        if self.existing is not None:
            for f in model._meta.concrete_fields:
                setattr(record, f.attname, getattr(self.existing, f.attname))
        for name, value in attrs.items():
            if name in names:
                setattr(record, name, value)
        try:
            record.clean()
        except ModelValidationError as exc:
            return model_error_dict(exc)
        return {}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        if self.instance is None:
            self.existing = self.find_existing(attrs)
        else:
            self.existing = self.instance
            for name in self.fixed_fields:
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    errors[name] = ["Cannot be changed."]
        for source in (self.model_errors(attrs), self.check(attrs)):
            for name, messages in source.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        return attrs

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        with domain_errors():
            record, self.created = self.upsert(validated_data)
        return record

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        with domain_errors():
            return self.change(instance, validated_data)


def model_error_dict(exc: ModelValidationError) -> dict[str, list[str]]:
    """A model's ValidationError as a 400 body: its fields, or non_field_errors."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if name == "__all__" else name): list(messages)
            for name, messages in exc.message_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a service's refusal into a 400 naming the field."""
    try:
        yield
    except TransitionNotAllowed as exc:
        raise ValidationError({"status": [str(exc)]}) from exc
    except DuplicateKey as exc:
        raise ValidationError({exc.field: [str(exc)]}) from exc
    except ModelValidationError as exc:
        raise ValidationError(model_error_dict(exc)) from exc
    except ActionRefused as exc:
        raise ValidationError({exc.field or "non_field_errors": [str(exc)]}) from exc


@dataclass(frozen=True)
class KeyFilter:
    """`?param=KEY`: the records that reference the record with that natural key."""

    param: str
    field: str
    model: type[models.Model]
    key: str

    def apply(self, queryset: QuerySet[Any], raw: str) -> QuerySet[Any]:
        try:
            target = self.model._default_manager.only("pk").get(**{self.key: raw})
        except ObjectDoesNotExist as exc:
            name = self.model._meta.verbose_name
            raise ValueError(f"No {name} with {self.key} '{raw}'.") from exc
        return queryset.filter(**{self.field: target})

    def parameter(self) -> OpenApiParameter:
        name = self.model._meta.verbose_name
        return OpenApiParameter(self.param, str, description=f"The {name}'s {self.key}.")


@dataclass(frozen=True)
class ChoiceFilter:
    """`?param=VALUE`, VALUE one of `choices`; a value in `groups` stands for several."""

    param: str
    field: str
    choices: Sequence[str]
    groups: Mapping[str, Sequence[str]] = dataclass_field(default_factory=dict)
    description: str = ""

    def apply(self, queryset: QuerySet[Any], raw: str) -> QuerySet[Any]:
        if raw in self.groups:
            return queryset.filter(**{f"{self.field}__in": list(self.groups[raw])})
        if raw not in self.choices:
            raise ValueError(f"'{raw}' is not one of: {', '.join(self.choices)}.")
        return queryset.filter(**{self.field: raw})

    def parameter(self) -> OpenApiParameter:
        return OpenApiParameter(
            self.param, str, enum=list(self.choices), description=self.description
        )


type QueryFilter = KeyFilter | ChoiceFilter


def apply_filters(
    queryset: QuerySet[Any], params: QueryDict, filters: Sequence[QueryFilter]
) -> QuerySet[Any]:
    """Narrow `queryset` by the query parameters; every bad one is named in a 400."""
    errors: dict[str, list[str]] = {}
    for query_filter in filters:
        raw = params.get(query_filter.param)
        if raw is None:
            continue
        try:
            queryset = query_filter.apply(queryset, raw)
        except ValueError as exc:
            errors[query_filter.param] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return queryset


if TYPE_CHECKING:
    # What the mixin is mixed into; at run time it adds no base of its own.
    _ReadsBase = generics.GenericAPIView[Any]
else:
    _ReadsBase = object


class AuditedReadsMixin(_ReadsBase):
    """S25 for the API: list and retrieve hand the records they return to the read audit.

    The audit is the app's that owns it (settings.AUTHQ_API_READ_AUDIT, a dotted path to a
    function of the request and the records: patients.audit.record_api_reads), called
    once per response with a list's page or the one record retrieved.
    """

    def record_reads(self, request: Request, records: Sequence[models.Model]) -> None:
        if records:
            record = import_string(settings.AUTHQ_API_READ_AUDIT)
            record(request._request, list(records))  # noqa: SLF001

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        records = list(page) if page is not None else list(queryset)
        self.record_reads(request, records)
        serializer = self.get_serializer(records, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        self.record_reads(request, [record])
        return Response(self.get_serializer(record).data)


class RecordViewSet(
    AuditedReadsMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    # GET list and detail, POST to create (or update by natural key), PATCH by key; no DELETE.
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, RecordPermissions]
    # Natural keys may hold dots (there are no `.json` suffix routes to confuse them with).
    lookup_value_regex = "[^/]+"
    filters: ClassVar[Sequence[QueryFilter]] = ()

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if self.action == "list":
            queryset = apply_filters(queryset, self.request.query_params, self.filters)
        return queryset

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        assert isinstance(serializer, RecordSerializer)  # each viewset's serializer_class is one
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=201 if serializer.created else 200)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IntegrityError):
            errors = constraint_errors(exc)
            if getattr(exc.__cause__, "sqlstate", None) == UNIQUE_VIOLATION:
                # A record with this key was stored meanwhile (by a writer the locks missed).
                exc = Conflict({"detail": Conflict.default_detail, **errors})
            else:
                exc = ValidationError(errors)
        return super().handle_exception(exc)


def record_schema(
    serializer: type[serializers.Serializer], filters: Sequence[QueryFilter] = (), key: str = "id"
) -> Any:
    """OpenAPI for a RecordViewSet: POST answers 201 (created) or 200 (updated by key)."""
    return extend_schema_view(
        list=extend_schema(parameters=[f.parameter() for f in filters]),
        create=extend_schema(
            responses={201: serializer, 200: serializer},
            description=(
                "Create a record; when one with the same key exists, update it and answer 200."
                if key != "id"
                else "Create a record."
            ),
        ),
        partial_update=extend_schema(description=f"Change the record identified by its {key}."),
    )
