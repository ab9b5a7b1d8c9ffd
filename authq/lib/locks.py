"""PostgreSQL advisory locks: one job of a kind at a time, across every process.

A key is a 64-bit number the caller owns (a constant beside the job it guards). The
`try_` forms never wait: False means another session holds the key, and the caller skips
its work. A transaction-level lock ends with the transaction; a session-level one lasts
until `advisory_unlock` (or the connection closes), so pair it with try/finally.
"""

from __future__ import annotations

from django.db import connections

_TRY = {
    False: "SELECT pg_try_advisory_lock(%s)",
    True: "SELECT pg_try_advisory_xact_lock(%s)",
}


def try_advisory_lock(key: int, *, transaction: bool = False, using: str = "default") -> bool:
    """Take the lock on `key` if free; True if taken. `transaction=True` holds it until the
    current transaction ends (call it inside transaction.atomic())."""
    connection = connections[using]
    if transaction and not connection.in_atomic_block:
        # Outside a transaction block the lock would end with this very statement.
        raise RuntimeError("a transaction-level advisory lock needs transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute(_TRY[transaction], [key])
        (acquired,) = cursor.fetchone()
    return bool(acquired)


def advisory_unlock(key: int, *, using: str = "default") -> None:
    """Release a session-level lock taken by `try_advisory_lock` on this connection."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
