"""The raw SQL boundary (docs/architecture.md, "Raw SQL"): a statement that names a table or
a choice's value (a status, a queue...) lives in its app's sql.py, composed from the models
(authq.lib.sql.table, columns) and the enums. Read from the source with ast: a typed table
name or quoted status anywhere else fails here, naming the file, line and word."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from patients.sql import audited_tables

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("authq", "accounts", "patients", "payers", "worklists", "intake", "reports", "demo")

# Modules that still write statements in place, and why. The list only shrinks.
IN_PLACE: dict[str, str] = {}

# Text that reads as a statement (the keywords are written in capitals here).
STATEMENT = re.compile(
    r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|JOIN|COPY|TRUNCATE|LOCK TABLE|ANALYZE)\b"
)


def _tables() -> set[str]:
    return {m._meta.db_table for m in apps.get_models(include_auto_created=True)}


def _choice_values() -> set[str]:
    """The values of every choice field of the project's models (statuses, queues, kinds)."""
    values: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith(PACKAGES):
            continue
        for field in model._meta.concrete_fields:
            values.update(str(value) for value, _label in field.flatchoices)
    return values


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def violations(source: str, tables: set[str], values: set[str]) -> Iterator[tuple[int, str]]:
    """(line, word) for each table name or quoted choice value in a statement's text."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    names = re.compile(r'(?<![\w.])"?(' + "|".join(map(re.escape, sorted(tables))) + r')"?\b')
    quoted = re.compile(r"'(" + "|".join(map(re.escape, sorted(values))) + r")'")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in skip or not STATEMENT.search(node.value):
            continue
        for match in [*names.finditer(node.value), *quoted.finditer(node.value)]:
            yield node.lineno, match.group(0)


def _modules() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path.name == "sql.py":
                continue
            yield path


def test_statements_name_tables_and_statuses_only_in_sql_modules() -> None:
    tables, values = _tables(), _choice_values()
    found = []
    for path in _modules():
        name = str(path.relative_to(ROOT))
        if name in IN_PLACE:
            continue
        found += [
            f"{name}:{line}: {word}" for line, word in violations(path.read_text(), tables, values)
        ]
    assert found == [], "SQL outside an app's sql.py names a table or a status"


def test_the_check_sees_a_typed_table_and_status() -> None:
    source = '''
def open_items(cursor):
    """Not this docstring: SELECT id FROM worklists_workitem."""
    cursor.execute("SELECT id FROM worklists_workitem WHERE status = 'open'")
    cursor.execute(f"UPDATE patients_order SET priority = 'stat' WHERE id = {1}")
    cursor.execute("SELECT pg_advisory_unlock(%s)", [1])
'''
    found = list(violations(source, _tables(), _choice_values()))
    assert found == [
        (4, "worklists_workitem"),
        (4, "'open'"),
        (5, "patients_order"),
        (5, "'stat'"),
    ]


def test_the_modules_still_in_place_exist_and_still_need_the_exception() -> None:
    tables, values = _tables(), _choice_values()
    for name in IN_PLACE:
        path = ROOT / name
        assert path.exists(), f"{name} is gone: take it off IN_PLACE"
        assert list(violations(path.read_text(), tables, values)), f"{name} is clean now"


@pytest.mark.django_db
def test_the_audited_tables_are_those_with_the_audit_triggers() -> None:
    """patients.sql.AUDITED_MODELS (the middleware names the actor before writes to them)
    are exactly the tables whose triggers record changes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT t.tgrelid::regclass::text FROM pg_trigger t"
            " JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'authq_audit_rows'"
        )
        with_triggers = {name.strip('"') for (name,) in cursor.fetchall()}
    assert with_triggers == set(audited_tables())
