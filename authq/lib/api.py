"""DRF pieces the settings name (pagination, parser): kept apart from the apps' API
modules, which import DRF's views and so would import themselves through the settings."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from authq.lib.bounds import MAX_OFFSET, MAX_PAGE_SIZE


class BoundedPagination(LimitOffsetPagination):
    """?limit= and ?offset=, within bounds: a limit above MAX_PAGE_SIZE gives that many
    rows; a limit or offset that is not a whole number in range (or is empty) is a 400
    naming it."""

    max_limit = MAX_PAGE_SIZE

    @staticmethod
    def _whole(request: Request, name: str, low: int, high: int | None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < low:
            raise ValidationError({name: [f"Give a whole number from {low}."]})
        return value if high is None else min(value, high)

    def get_limit(self, request: Request) -> int | None:
        limit = self._whole(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if limit is None else limit

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"]["minimum"] = 1
        limit["description"] = f"Rows per page (at most {self.max_limit} are given)."
        offset["schema"].update(minimum=0, maximum=MAX_OFFSET)
        return [limit, offset]

    def get_offset(self, request: Request) -> int:
        offset = self._whole(request, self.offset_query_param, 0, None) or 0
        if offset > MAX_OFFSET:
            raise ValidationError(
                {self.offset_query_param: [f"Give a whole number from 0 to {MAX_OFFSET}."]}
            )
        return offset


class BoundedJSONParser(JSONParser):
    """JSON bodies; one nested too deeply to read is a 400 like any malformed body."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
