"""authq.lib.locks: an advisory lock keeps a second session out until it is released."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection, transaction

from authq.lib.locks import advisory_unlock, try_advisory_lock

KEY = 0x61757468_7174  # a key no job of authq uses

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_session() -> Iterator[psycopg.Connection]:
    """A second connection to the test database, as another web or worker process."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as other:
        yield other


def takes(session: psycopg.Connection) -> bool:
    """Whether the other session gets the lock (it lets go at once when it does)."""
    (got,) = session.execute("SELECT pg_try_advisory_lock(%s)", [KEY]).fetchone()
    if got:
        session.execute("SELECT pg_advisory_unlock(%s)", [KEY])
    return got


def test_a_session_lock_keeps_others_out_until_unlocked(other_session):
    assert try_advisory_lock(KEY)
    try:
        assert not takes(other_session)
    finally:
        advisory_unlock(KEY)
    assert takes(other_session)


def test_a_lock_another_session_holds_is_refused_in_both_forms(other_session):
    other_session.execute("SELECT pg_advisory_lock(%s)", [KEY])
    assert not try_advisory_lock(KEY)
    with transaction.atomic():
        assert not try_advisory_lock(KEY, transaction=True)
    other_session.execute("SELECT pg_advisory_unlock(%s)", [KEY])
    assert try_advisory_lock(KEY)
    advisory_unlock(KEY)


def test_a_transaction_lock_ends_with_its_transaction(other_session):
    with transaction.atomic():
        assert try_advisory_lock(KEY, transaction=True)
        assert not takes(other_session)
    assert takes(other_session)


def test_a_transaction_lock_outside_a_transaction_is_refused(other_session):
    with pytest.raises(RuntimeError, match="transaction.atomic"):
        try_advisory_lock(KEY, transaction=True)
    assert takes(other_session)
