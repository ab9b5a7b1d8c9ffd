"""Small helpers for the plain SQL that hot paths run instead of the ORM."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Field, Model, Value
from psycopg import sql as pg_sql


def table(model: type[Model]) -> pg_sql.Identifier:
    """The model's table, for a statement composed with psycopg.sql (never its name typed)."""
    return pg_sql.Identifier(model._meta.db_table)


def columns(model: type[Model], *names: str) -> pg_sql.Composed:
    """The columns of the model's fields `names`, comma-separated, for a statement."""
    found = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, Field) or not field.column:
            raise TypeError(f"{model.__name__}.{name} has no column")
        found.append(pg_sql.Identifier(field.column))
    return pg_sql.SQL(", ").join(found)


def id_array(ids: Iterable[int]) -> str:
    """Ids in PostgreSQL's array text form, for `%s::bigint[]`.

    psycopg adapts a list element by element (a regex per value, a million values per
    scan); an array of integers needs no quoting.
    """
    return "{" + ",".join(map(str, map(int, ids))) + "}"


class Literal(Value):
    """A constant written into the SQL text, not sent as a parameter.

    Statements run prepared (settings: prepare_threshold), and PostgreSQL keeps one plan
    for all parameter values only if it is about as good as a plan for the values at
    hand. An expression index (CASE WHEN queue = 'stat' ...) or a partial index
    (WHERE status IN (...)) matches constants, never parameters: with parameters there,
    every execution is planned anew (milliseconds for the queue page). For constants of
    the code only, never for input.
    """

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[()]]:
        sql, params = super().as_sql(compiler, connection)
        # A % in the text would read as a placeholder when the statement's parameters are
        # bound: doubled, as the ORM does.
        literals = (pg_sql.Literal(p).as_string(None).replace("%", "%%") for p in params)
        return sql % tuple(literals), ()
